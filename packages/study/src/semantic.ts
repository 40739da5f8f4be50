import { writeRunSummary } from './run-steps.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type FolderLock, ProcptError, acquireFolderLock } from '@procpt/core';
import { DmMathSource, prepareCorpus } from '@procpt/corpora';
import { type MathProblem, type RunSummary, mathAccuracy, mean, tokensToTarget } from '@procpt/eval';
import { loadCheckpoint } from '@procpt/model';
import { CharTokenizer } from '@procpt/tokenizer';
import { readMetrics } from '@procpt/trainer-gpu';
import type { PlannedRun } from './plan/index.js';

/**
 * Takes a folder's lock, waiting while another live process holds it (`signal` stops the wait);
 * `onWait` is called once, with the holder's message, when it has to wait.
 */
export async function waitForFolderLock(
  folder: string,
  what: string,
  options: { signal?: AbortSignal; onWait?: (message: string) => void; pollMs?: number } = {},
): Promise<FolderLock> {
  let told = false;
  for (;;) {
    try {
      return await acquireFolderLock(folder, { what });
    } catch (error) {
      if (!(error instanceof ProcptError) || error.code !== 'usage') throw error;
      if (!told) options.onWait?.(`waiting: ${error.message}`);
      told = true;
    }
    if (options.signal?.aborted)
      throw new ProcptError('interrupted', `interrupted while waiting for ${folder}`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}

/**
 * Writes the domain's train/val token shards unless an earlier run already did. The data folder is shared
 * by every run of the domain, which may run at once (`--jobs`, or workers on other machines): one of them
 * prepares it under the folder's lock while the others wait.
 */
export async function ensureSemanticData(
  run: PlannedRun,
  options: { signal?: AbortSignal; onWait?: (message: string) => void } = {},
): Promise<void> {
  const { domain, dataDir, mathPerModule, maxDocuments } = run.semantic!;
  const manifest = join(dataDir, 'manifest.json');
  if (existsSync(manifest)) return;
  const lock = await waitForFolderLock(dataDir, `study ${domain} data`, options);
  try {
    if (existsSync(manifest)) return; // prepared by the process we waited for
    await prepareCorpus({
      domain,
      out: dataDir,
      // the study's own data folder (inside --out): what a killed earlier invocation left is replaced
      force: true,
      perModule: mathPerModule,
      ...(maxDocuments === undefined ? {} : { maxDocuments }),
    });
  } finally {
    await lock.release();
  }
}

/** Interpolate-split problems scored for the math domain's problem accuracy. */
export const MATH_EVAL_PROBLEMS = 500;

/**
 * The paper's DM-Math metric on the final weights: teacher-forced problem accuracy on the first
 * {@link MATH_EVAL_PROBLEMS} interpolate problems that fit a row (longer ones are dropped in training too).
 */
async function mathProblemAccuracy(run: PlannedRun): Promise<Record<string, number>> {
  // rows the model reads whole: as many tokens as it has positions
  const length = Math.min(run.shape.length, run.shape.nPositions);
  const source = await DmMathSource.open({ root: run.semantic!.dataDir, part: 'interpolate' });
  const problems: MathProblem[] = [];
  try {
    let drawn = 0;
    for await (const p of source.problems()) {
      // a bounded scan: a row too short for most problems must not loop forever
      if (++drawn > 20 * MATH_EVAL_PROBLEMS) break;
      const { tokens, loss } = source.encode(p.question, p.answer);
      if (tokens.length > length) continue;
      problems.push({ module: p.module, tokens, loss });
      if (problems.length === MATH_EVAL_PROBLEMS) break;
    }
  } finally {
    await source.close();
  }
  if (problems.length === 0) return {};
  const { model } = await loadCheckpoint(join(run.dir, 'final'));
  try {
    const acc = await mathAccuracy(model, problems, {
      length,
      padId: new CharTokenizer().special.pad as number,
    });
    return {
      problemAccuracy: acc.problemAccuracy,
      exactMatch: acc.exactMatch,
      answerTokenAccuracy: acc.tokenAccuracy,
    };
  } finally {
    model.dispose();
  }
}

/** Writes a semantic run's `result.json`: its final validation loss (the curve stays in metrics.jsonl). */
export async function finishSemantic(run: PlannedRun): Promise<void> {
  const records = await readMetrics(join(run.dir, 'metrics.jsonl'));
  const lastEval = records.filter((r) => r.kind === 'eval').at(-1);
  const loss = typeof lastEval?.loss === 'number' ? lastEval.loss : Number.NaN;
  const math = run.semantic?.domain === 'math' ? await mathProblemAccuracy(run) : {};
  await writeRunSummary(run, { loss, ...math });
}

/** One row of the semantic results: final loss and tokens-to-baseline-loss, averaged over seeds. */
export interface SemanticRow {
  domain: string;
  pretraining: string;
  finalLoss: number;
  tokensToBaselineLoss: number | null;
  ratio: number | null;
  /** Math: the paper's teacher-forced DM-Math problem accuracy in [0, 1], mean over seeds; else null. */
  problemAccuracy: number | null;
  seeds: number;
}

function lossCurve(run: RunSummary): { tokens: number; loss: number }[] {
  return (run.curve ?? [])
    .filter((p) => typeof p.tokens === 'number' && typeof p.metrics.loss === 'number')
    .map((p) => ({ tokens: p.tokens as number, loss: p.metrics.loss as number }));
}

/**
 * Semantic rows from finished runs: per domain and pretraining, the mean final validation loss and, against
 * the seed-matched baseline, the semantic tokens needed to reach the baseline's final loss (null when never
 * reached) and their ratio to the baseline's tokens — the paper's 55 / 67 / 86% figure.
 */
export function semanticRows(runs: readonly RunSummary[]): SemanticRow[] {
  const semantic = runs.filter((r) => r.kind === 'semantic');
  const baseline = new Map(
    semantic.filter((r) => r.procedural === 'none').map((r) => [`${r.task}/${r.seed}`, lossCurve(r)]),
  );
  const groups = new Map<string, RunSummary[]>();
  for (const r of semantic) {
    const key = `${r.task}\u0000${r.procedural}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SemanticRow[] = [];
  for (const [key, group] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const [domain, pretraining] = key.split('\u0000') as [string, string];
    const finalLoss = mean(group.map((r) => r.metrics.loss ?? Number.NaN));
    const efficiency = group.flatMap((r) => {
      const base = baseline.get(`${r.task}/${r.seed}`);
      const curve = lossCurve(r);
      if (!base || base.length === 0 || curve.length === 0) return [];
      return [tokensToTarget(curve, base)];
    });
    const reached = efficiency.filter((e) => e.tokens !== null);
    const accuracy = group.map((r) => r.metrics.problemAccuracy).filter((a) => typeof a === 'number');
    rows.push({
      domain,
      pretraining,
      finalLoss,
      problemAccuracy: accuracy.length === group.length ? mean(accuracy) : null,
      seeds: group.length,
      tokensToBaselineLoss:
        reached.length === efficiency.length && reached.length > 0
          ? mean(reached.map((e) => e.tokens as number))
          : null,
      ratio:
        reached.length === efficiency.length && reached.length > 0
          ? mean(reached.map((e) => e.fraction as number))
          : null,
    });
  }
  return rows;
}
