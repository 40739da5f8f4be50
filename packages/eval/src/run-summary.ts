import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';

/** File name of a run's summary inside its run directory. */
export const RUN_SUMMARY_FILE = 'result.json';
/** File name of a run's metric log inside its run directory (optional). */
export const METRICS_FILE = 'metrics.jsonl';

/** One evaluation during a run. */
export interface RunCurvePoint {
  step: number;
  /** Training tokens seen at this step in the run's own (e.g. semantic) stage. */
  tokens?: number;
  /** Metrics measured there (e.g. `accuracy`, `exactMatch`, `loss`, `perplexity`, `problemAccuracy`). */
  metrics: Record<string, number>;
}

/**
 * `result.json`: what one finished (fine-tuning or semantic) run reports, written by the trainer or the
 * study into its run directory and read by `procpt eval aggregate`.
 *
 * ```json
 * { "format": "procpt.run-summary", "version": 1, "run": "haystack-dyck-s3", "seed": 3,
 *   "kind": "diagnostic", "task": "haystack", "procedural": "dyck", "transfer": "everything",
 *   "metrics": { "accuracy": 0.97, "exactMatch": 0.97, "loss": 0.11 },
 *   "curve": [{ "step": 50, "tokens": 3150000, "metrics": { "accuracy": 0.12 } }] }
 * ```
 */
export interface RunSummary {
  format: 'procpt.run-summary';
  version: 1;
  /** Unique run name. */
  run: string;
  seed: number;
  kind: 'diagnostic' | 'semantic';
  /** Diagnostic task (`haystack`, ...) or semantic corpus (`c4`, `codeparrot`, `dm-math`). */
  task: string;
  /** Procedural warm-up data type; `none` for the baseline (no procedural pretraining). */
  procedural: string;
  /** Transferred parts (`everything`, `attn`, `ffn`, `ln`, `attn+ln`); absent = everything / not applicable. */
  transfer?: string;
  /** Weight-assembly label (e.g. `set:attn+eca:ffn`) when the model was assembled from several sources. */
  assembly?: string;
  /** True for the shuffled-sequence control. */
  shuffled?: boolean;
  /** Procedural tokens front-loaded before this run. */
  proceduralTokens?: number;
  /** Final metrics. */
  metrics: Record<string, number>;
  /** Evaluations during the run (else read from `metrics.jsonl`). */
  curve?: RunCurvePoint[];
}

function fail(where: string, what: string): never {
  throw new ProcptError('corrupt', `${where}: ${what}`, {
    hint: `see the RunSummary format in the @procpt/eval README`,
  });
}

function numberRecord(value: unknown, where: string): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected an object');
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
    else if (v !== null) fail(where, `metric ${k} is not a finite number`);
  }
  return out;
}

/** Validates a parsed `result.json`; throws a `corrupt` error naming the field otherwise. */
export function parseRunSummary(value: unknown, where = RUN_SUMMARY_FILE): RunSummary {
  if (typeof value !== 'object' || value === null) fail(where, 'not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.format !== 'procpt.run-summary') fail(where, `format must be "procpt.run-summary"`);
  if (v.version !== 1) fail(where, `unsupported version ${JSON.stringify(v.version)} (this reader knows 1)`);
  const str = (k: string, optional = false): string | undefined => {
    const x = v[k];
    if (x === undefined && optional) return undefined;
    if (typeof x !== 'string' || x === '') fail(where, `${k} must be a non-empty string`);
    return x;
  };
  if (typeof v.seed !== 'number' || !Number.isInteger(v.seed)) fail(where, 'seed must be an integer');
  if (v.kind !== 'diagnostic' && v.kind !== 'semantic')
    fail(where, 'kind must be "diagnostic" or "semantic"');
  const summary: RunSummary = {
    format: 'procpt.run-summary',
    version: 1,
    run: str('run') as string,
    seed: v.seed,
    kind: v.kind,
    task: str('task') as string,
    procedural: str('procedural') as string,
    metrics: numberRecord(v.metrics, `${where} metrics`),
  };
  const transfer = str('transfer', true);
  if (transfer !== undefined) summary.transfer = transfer;
  const assembly = str('assembly', true);
  if (assembly !== undefined) summary.assembly = assembly;
  if (v.shuffled !== undefined) {
    if (typeof v.shuffled !== 'boolean') fail(where, 'shuffled must be a boolean');
    summary.shuffled = v.shuffled;
  }
  if (v.proceduralTokens !== undefined) {
    if (typeof v.proceduralTokens !== 'number' || v.proceduralTokens < 0) {
      fail(where, 'proceduralTokens must be a number ≥ 0');
    }
    summary.proceduralTokens = v.proceduralTokens;
  }
  if (v.curve !== undefined) {
    if (!Array.isArray(v.curve)) fail(where, 'curve must be an array');
    summary.curve = v.curve.map((p, i) => parseCurvePoint(p, `${where} curve[${i}]`));
  }
  return summary;
}

function parseCurvePoint(p: unknown, where: string): RunCurvePoint {
  if (typeof p !== 'object' || p === null) fail(where, 'not an object');
  const o = p as Record<string, unknown>;
  if (typeof o.step !== 'number') fail(where, 'step must be a number');
  const point: RunCurvePoint = { step: o.step, metrics: numberRecord(o.metrics ?? {}, where) };
  if (typeof o.tokens === 'number') point.tokens = o.tokens;
  return point;
}

/**
 * Reads `metrics.jsonl`. Two line shapes are understood:
 * - the trainer's (`@procpt/trainer-gpu`): `{"kind":"train","step","tokens",...}` and
 *   `{"kind":"eval","step","loss","accuracy","perplexity",...}` — only eval lines become curve points, and
 *   each takes `tokens` from the train line of the same (or the latest earlier) step;
 * - plain lines without `kind`: a numeric `step`, optional `tokens`, and numeric metrics at top level or
 *   under `metrics`.
 * A torn last line (no final newline: the process was killed mid-write) is ignored; any other unreadable
 * line is a `corrupt` error naming the line.
 */
export function parseMetricsJsonl(text: string, where = METRICS_FILE): RunCurvePoint[] {
  const points: RunCurvePoint[] = [];
  const lines = text.split('\n');
  let lastTokens: number | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return; // torn final write
      fail(`${where}:${i + 1}`, 'not valid JSON');
    }
    if (typeof o !== 'object' || o === null || typeof (o as { step?: unknown }).step !== 'number') {
      fail(`${where}:${i + 1}`, 'each line needs a numeric "step"');
    }
    const rec = o as Record<string, unknown>;
    if (typeof rec.tokens === 'number') lastTokens = rec.tokens;
    if (rec.kind !== undefined && rec.kind !== 'eval') return;
    const metrics: Record<string, number> = {};
    const source = typeof rec.metrics === 'object' && rec.metrics !== null ? (rec.metrics as object) : rec;
    for (const [k, v] of Object.entries(source)) {
      if (!NON_METRICS.has(k) && typeof v === 'number' && Number.isFinite(v)) metrics[k] = v;
    }
    const point: RunCurvePoint = { step: rec.step as number, metrics };
    const tokens = typeof rec.tokens === 'number' ? rec.tokens : lastTokens;
    if (tokens !== undefined) point.tokens = tokens;
    points.push(point);
  });
  return points;
}

const NON_METRICS = new Set(['step', 'tokens', 'count', 'stepTokens', 'scoredTargets']);

/** Reads a run directory: its `result.json`, with the curve from `metrics.jsonl` when the summary has none. */
export async function readRunDir(dir: string): Promise<RunSummary> {
  const path = join(dir, RUN_SUMMARY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ProcptError('io', `cannot read ${path}`, {
      hint: 'pass run directories that contain a result.json written by a finished run',
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProcptError('corrupt', `${path} is not valid JSON`, {
      hint: 'the run may have been interrupted',
      cause: error,
    });
  }
  const summary = parseRunSummary(parsed, path);
  if (summary.curve === undefined) {
    const metricsPath = join(dir, METRICS_FILE);
    const log = await readFile(metricsPath, 'utf8').catch(() => undefined);
    if (log !== undefined) summary.curve = parseMetricsJsonl(log, metricsPath);
  }
  return summary;
}
