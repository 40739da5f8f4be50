import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import { type RunSummary, readRunDir, summarize } from '@procpt/eval';
import { type SemanticRow, semanticRows } from './semantic.js';
import { type StudyManifest, readManifest } from './manifest.js';
import { STUDY_RUN_FILE, type StudyRunRecord, WARMUP_FILE, type WarmupRecord } from './run-state.js';

/** Everything a study directory holds that the report uses. */
export interface StudyResults {
  out: string;
  manifest: StudyManifest;
  /** Finished fine-tuning runs (eval's `result.json` + curve from `metrics.jsonl`). */
  runs: RunSummary[];
  warmups: WarmupRecord[];
  records: StudyRunRecord[];
}

async function readJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    throw new ProcptError('corrupt', `${path} is not valid JSON`, {
      hint: 'the run was interrupted while writing it: delete the file and rerun `procpt study run`',
      cause: error,
    });
  }
}

async function subdirs(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => join(dir, e.name))
    .sort();
}

/** Reads a study directory written by `procpt study run`: finished runs only, unfinished ones ignored. */
export async function collectResults(out: string): Promise<StudyResults> {
  const manifest = await readManifest(out);
  if (!manifest) {
    throw new ProcptError('usage', `${out} is not a study directory (no study.json)`, {
      hint: 'pass the --out directory of `procpt study run` (default runs/study-<preset>)',
    });
  }
  const runs: RunSummary[] = [];
  const warmups: WarmupRecord[] = [];
  const records: StudyRunRecord[] = [];
  for (const dir of await subdirs(join(out, 'finetune'))) {
    if (existsSync(join(dir, 'result.json'))) runs.push(await readRunDir(dir));
  }
  for (const dir of await subdirs(join(out, 'pretrain'))) {
    if (existsSync(join(dir, WARMUP_FILE)))
      warmups.push(await readJson<WarmupRecord>(join(dir, WARMUP_FILE)));
  }
  for (const stage of ['pretrain', 'finetune']) {
    for (const dir of await subdirs(join(out, stage))) {
      if (existsSync(join(dir, STUDY_RUN_FILE))) records.push(await readJson(join(dir, STUDY_RUN_FILE)));
    }
  }
  return { out, manifest, runs, warmups, records };
}

/** The pretraining label of a run in the machine-readable rows: a type, `none`, `shuffled-<type>`. */
export function pretrainingLabel(r: RunSummary): string {
  if (r.assembly !== undefined) return r.assembly;
  if (r.procedural === 'none') return 'none';
  return r.shuffled ? `shuffled-${r.procedural}` : r.procedural;
}

/** One row of the machine-readable diagnostics: a configuration on a task over seeds. */
export interface DiagnosticRow {
  pretraining: string;
  task: string;
  /** Mean accuracy (the paper's metric) in [0, 1]. */
  mean: number;
  /** 95% bootstrap interval of the mean (seeded). */
  ci: [number, number];
  seeds: number;
}

/** Groups runs by (label, task) and summarises `metric` over seeds. */
export function summarizeRows(
  runs: readonly RunSummary[],
  label: (r: RunSummary) => string,
  metric = 'accuracy',
): DiagnosticRow[] {
  const groups = new Map<string, { pretraining: string; task: string; values: number[] }>();
  for (const r of runs) {
    const value = r.metrics[metric];
    if (value === undefined) continue;
    const pretraining = label(r);
    const key = `${pretraining}\u0000${r.task}`;
    const g = groups.get(key) ?? { pretraining, task: r.task, values: [] };
    g.values.push(value);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const s = summarize(g.values, { seed: 0 });
    return { pretraining: g.pretraining, task: g.task, mean: s.mean, ci: s.ci, seeds: s.n };
  });
}

const fullTransfer = (r: RunSummary) =>
  r.assembly === undefined && (r.transfer === undefined || r.transfer === 'everything');
const isMixture = (r: RunSummary) => r.procedural.startsWith('mix-');

/** The study's machine-readable results (`procpt study report --json`). */
export interface StudyJson {
  preset: string;
  experiments: string[];
  seeds: number[];
  backends: string[];
  /** Summed wall time of every `procpt study run` invocation. */
  wallMs: number;
  diagnostics: DiagnosticRow[];
  transferParts: (DiagnosticRow & { parts: string })[];
  assembly: DiagnosticRow[];
  mixtures: DiagnosticRow[];
  warmups: {
    pretraining: string;
    size: string;
    steps: number;
    tokens: number;
    accuracy: number | null;
    loss: number | null;
    /** `closing-bracket` (Dyck types) or `masked-token`; null when not measured. */
    taskMetric: string | null;
    /** The warm-up's own-task accuracy on fresh samples, in [0, 1]; null when not measured. */
    taskAccuracy: number | null;
    /** With a length curriculum: the length reached and the final length; null without one. */
    curriculum: { reached: number; final: number } | null;
  }[];
  semantic: SemanticRow[];
}

/** Builds {@link StudyJson} from collected results. */
export function studyJson(results: StudyResults): StudyJson {
  const diag = results.runs.filter((r) => r.kind === 'diagnostic');
  const byParts = new Map<string, RunSummary[]>();
  for (const r of diag.filter((r) => r.assembly === undefined && r.procedural !== 'none' && !isMixture(r))) {
    const parts = r.transfer ?? 'everything';
    byParts.set(parts, [...(byParts.get(parts) ?? []), r]);
  }
  return {
    preset: results.manifest.preset,
    experiments: results.manifest.experiments,
    seeds: [...new Set(results.runs.map((r) => r.seed))].sort((a, b) => a - b),
    backends: [...new Set(results.records.map((r) => r.backend))].sort(),
    wallMs: results.manifest.invocations.reduce((a, i) => a + i.wallMs, 0),
    diagnostics: summarizeRows(
      diag.filter((r) => fullTransfer(r) && !isMixture(r)),
      pretrainingLabel,
    ),
    transferParts: [...byParts].flatMap(([parts, runs]) =>
      summarizeRows(runs, pretrainingLabel).map((row) => ({ ...row, parts })),
    ),
    assembly: summarizeRows(
      diag.filter((r) => r.assembly !== undefined),
      pretrainingLabel,
    ),
    mixtures: summarizeRows(diag.filter(isMixture), pretrainingLabel),
    warmups: results.warmups.map((w) => ({
      pretraining: w.label,
      size: w.size,
      steps: w.steps,
      tokens: w.tokens,
      accuracy: w.accuracy,
      loss: w.loss,
      taskMetric: w.ownTask?.metric ?? null,
      taskAccuracy: w.ownTask && Number.isFinite(w.ownTask.accuracy) ? w.ownTask.accuracy : null,
      curriculum: w.curriculum ?? null,
    })),
    semantic: semanticRows(results.runs),
  };
}
