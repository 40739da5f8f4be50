import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '@procpt/core';
import { DiagnosticDataset, RUN_SUMMARY_FILE, evaluateDiagnostic } from '@procpt/eval';
import { Gpt, assemble, gptConfig, loadCheckpoint, saveCheckpoint } from '@procpt/model';
import { readMetrics } from '@procpt/trainer-gpu';
import type { PlannedRun, StudyPlan } from './plan/index.js';
import { WARMUP_FILE, type WarmupRecord } from './run-state.js';
import { scoreWarmup } from './warmup-eval.js';

// The steps around a run's training: the assembled init before it, the warm-up record or the
// fine-tune's evaluation after it.

/** Builds an assembly run's init checkpoint (one run's attention, another's MLPs) once. */
export async function buildAssembledInit(run: PlannedRun, plan: StudyPlan, initDir: string): Promise<void> {
  if (existsSync(join(initDir, 'procpt.json'))) return;
  const byId = new Map(plan.runs.map((r) => [r.id, r]));
  const attnRun = byId.get(run.assemble!.attn)!;
  const ffnRun = byId.get(run.assemble!.ffn)!;
  const attn = await loadCheckpoint(join(attnRun.dir, attnRun.weights));
  const ffn = await loadCheckpoint(join(ffnRun.dir, ffnRun.weights));
  const target = Gpt.create(
    gptConfig(run.shape.size, {
      vocabSize: run.shape.vocabSize,
      nPositions: run.shape.nPositions,
      tied: false,
      dropout: 0,
    }),
    { seed: run.seed },
  );
  try {
    // LayerNorms and the averaged embeddings come with the attention (the paper does not say).
    assemble(
      {
        attn: attn.model,
        ffn: ffn.model,
        ln: attn.model,
        embeddings: { source: attn.model, init: 'average' },
      },
      target,
    );
    await saveCheckpoint(initDir, target, { seed: run.seed, assembledFrom: [attnRun.id, ffnRun.id] });
  } finally {
    attn.model.dispose();
    ffn.model.dispose();
    target.dispose();
  }
}

export async function finishWarmup(run: PlannedRun, backend: string, wallMs: number): Promise<void> {
  const records = await readMetrics(join(run.dir, 'metrics.jsonl'));
  const lastEval = records.filter((r) => r.kind === 'eval').at(-1);
  const lastTrain = records.filter((r) => r.kind === 'train').at(-1);
  const lastCheck = records.filter((r) => r.kind === 'curriculum').at(-1);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const train = run.config.data.train;
  const finalLength = train.kind === 'procgen' ? train.params?.length : undefined;
  const source = run.warmup!.source;
  const record: WarmupRecord = {
    run: run.id,
    label: run.warmup!.label,
    type: source.type,
    shuffled: source.shuffled === true,
    mixture: source.mixture?.components ?? null,
    size: run.shape.size,
    steps: num(lastTrain?.step) ?? 0,
    tokens: num(lastTrain?.tokens) ?? 0,
    accuracy: num(lastEval?.accuracy),
    loss: num(lastEval?.loss),
    ownTask: await scoreWarmup(run),
    ...(train.kind === 'procgen' && train.curriculum && typeof finalLength === 'number'
      ? { curriculum: { reached: num(lastCheck?.next) ?? train.curriculum.start ?? 2, final: finalLength } }
      : {}),
    backend,
    wallMs,
  };
  await writeJsonAtomic(join(run.dir, WARMUP_FILE), record);
}

export async function finishFinetune(run: PlannedRun): Promise<void> {
  const e = run.evaluate!;
  const { model } = await loadCheckpoint(join(run.dir, 'final'));
  try {
    const dataset = DiagnosticDataset.create({ task: e.task, seed: e.seed, testSize: e.testSize });
    const score = await evaluateDiagnostic(model, dataset, { batchSize: 250 });
    const metrics: Record<string, number> = {
      accuracy: score.accuracy,
      exactMatch: score.exactMatch,
      answerTokenAccuracy: score.answerTokenAccuracy,
    };
    if (score.loss !== null) metrics.loss = score.loss;
    // The paper does not say whether it reports the final or the best of its evaluations (every
    // `eval.every` steps on the same test set): keep the best beside the final.
    const evals = (await readMetrics(join(run.dir, 'metrics.jsonl'))).filter((r) => r.kind === 'eval');
    const accuracies = evals.map((r) => r.accuracy).filter((a): a is number => typeof a === 'number');
    if (accuracies.length > 0) metrics.bestEvalAccuracy = Math.max(...accuracies);
    await writeRunSummary(run, metrics);
  } finally {
    model.dispose();
  }
}

/** Writes a fine-tune's `result.json` (`@procpt/eval`'s run summary): the run, its result labels, its metrics. */
export async function writeRunSummary(run: PlannedRun, metrics: Record<string, number>): Promise<void> {
  await writeJsonAtomic(join(run.dir, RUN_SUMMARY_FILE), {
    format: 'procpt.run-summary',
    version: 1,
    run: run.name,
    seed: run.seed,
    ...run.result!,
    metrics,
  });
}
