import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '@procpt/core';
import { DmMathSource, prepareCorpus } from '@procpt/corpora';
import {
  type MathProblem,
  RUN_SUMMARY_FILE,
  type RunSummary,
  mathAccuracy,
  mean,
  tokensToTarget,
} from '@procpt/eval';
import { loadCheckpoint } from '@procpt/model';
import { CharTokenizer } from '@procpt/tokenizer';
import { readMetrics } from '@procpt/trainer-gpu';
import type { SemanticDomain } from '@procpt/paper';
import type { PlanBuilder, PlannedRun } from './plan.js';
import { proceduralData } from './procedural.js';

/** Vocabulary of each domain's tokenizer: GPT-2 BPE for language and code, the DM-Math characters for math. */
const DOMAIN_VOCAB: Record<SemanticDomain, number> = { language: 50257, code: 50257, math: 99 };
/** The paper's full-model transfer into the semantic stage: blocks + ln_f, embeddings re-initialised. */
const SEMANTIC_PARTS: ('attn' | 'ffn' | 'ln')[] = ['attn', 'ffn', 'ln'];
/** A warm-up shorter than this teaches nothing measurable, whatever the front-loading fraction says. */
const MIN_WARMUP_STEPS = 20;

/**
 * Plans the `semantic` experiment: per domain and seed, a baseline from scratch and one run per procedural
 * type whose warm-up (at the semantic model's shape, sized to `proceduralFraction` of the semantic tokens,
 * at least {@link MIN_WARMUP_STEPS} steps) is transferred with the paper's full-block transfer and freshly
 * initialised embeddings. Token shards of each domain are prepared once, by the first run that needs them.
 */
export function planSemantic(b: PlanBuilder): void {
  const { semantic: s } = b.preset;
  const seeds = s.seeds ?? b.preset.seeds;
  const semanticTokens = s.steps * s.batchSize * s.accumulation * s.length;
  const shape = { size: s.size, nPositions: s.length - 1 };
  const warmups = s.types.map((type) => {
    const data = proceduralData({ type }, b.preset.warmup);
    const rowTokens = data.recipe.batchSize * (data.recipe.accumulation ?? 1) * data.rowLength;
    const steps = Math.max(MIN_WARMUP_STEPS, Math.ceil((s.proceduralFraction * semanticTokens) / rowTokens));
    return b.warmup({ type }, 'haystack', 'semantic', { shape, steps });
  });
  for (const domain of s.domains) {
    const vocabSize = DOMAIN_VOCAB[domain];
    const dataDir = join(b.out, 'data', domain);
    for (const seed of seeds) {
      semanticRun(b, domain, seed, vocabSize, dataDir, undefined);
      for (const w of warmups) semanticRun(b, domain, seed, vocabSize, dataDir, w);
    }
  }
}

function semanticRun(
  b: PlanBuilder,
  domain: SemanticDomain,
  seed: number,
  vocabSize: number,
  dataDir: string,
  warmup: PlannedRun | undefined,
): PlannedRun {
  const s = b.preset.semantic;
  const label = warmup ? warmup.warmup!.label : 'none';
  const name = `semantic-${domain}-${label}-s${seed}`;
  const shard = (file: string) => ({ kind: 'shard' as const, path: join(dataDir, file), vocabSize });
  // Math trains and validates as the paper does: answer characters only, problems packed into rows
  // (train-* files, then the interpolate split). Language and code score every token of their shards.
  const data =
    domain === 'math'
      ? {
          train: { kind: 'dm-math' as const, root: dataDir, part: 'train' as const },
          eval: { kind: 'dm-math' as const, root: dataDir, part: 'interpolate' as const },
        }
      : { train: shard('train.bin'), eval: shard('val.bin') };
  return b.add(
    {
      id: `finetune/${name}`,
      stage: 'finetune',
      name,
      dir: join(b.out, 'finetune', name),
      experiments: ['semantic'],
      deps: warmup ? [warmup.id] : [],
      seed,
      config: {
        name,
        seed,
        steps: s.steps,
        outDir: join(b.out, 'finetune'),
        model: {
          size: s.size,
          vocabSize,
          nPositions: s.length - 1,
          tied: true,
          dropout: 0,
          ...(warmup
            ? {
                init: {
                  from: 'transfer' as const,
                  path: join(warmup.dir, 'final'),
                  parts: SEMANTIC_PARTS,
                  embeddingInit: 'random' as const,
                },
              }
            : {}),
        },
        data: {
          ...data,
          batchSize: s.batchSize,
          accumulation: s.accumulation,
          length: s.length,
        },
        optimizer: { lr: s.lr, weightDecay: 0.01, gradClip: 1 },
        schedule: { kind: 'cosine', warmupSteps: 0, minLrRatio: 0.1, floor: 'scale' },
        eval: { every: s.evalEvery, batches: s.evalBatches, patience: 0, metric: 'loss' },
        checkpoint: { every: Math.min(b.preset.checkpointEvery, s.steps), keep: 2 },
        log: { progress: false },
      },
      semantic: {
        domain,
        dataDir,
        vocabSize,
        mathPerModule: s.mathPerModule,
        ...(s.maxDocuments === undefined ? {} : { maxDocuments: s.maxDocuments }),
      },
      result: {
        kind: 'semantic',
        task: domain,
        procedural: warmup ? warmup.warmup!.source.type : 'none',
        ...(warmup ? { transfer: SEMANTIC_PARTS.join('+'), proceduralTokens: warmup.tokens } : {}),
      },
      tokens: s.steps * s.batchSize * s.accumulation * s.length,
      shape: { size: s.size, vocabSize, nPositions: s.length - 1, length: s.length },
    },
    'semantic',
  );
}

/** Writes the domain's train/val token shards unless an earlier run already did. */
export async function ensureSemanticData(run: PlannedRun): Promise<void> {
  const { domain, dataDir, mathPerModule, maxDocuments } = run.semantic!;
  if (existsSync(join(dataDir, 'manifest.json'))) return;
  await prepareCorpus({
    domain,
    out: dataDir,
    perModule: mathPerModule,
    ...(maxDocuments === undefined ? {} : { maxDocuments }),
  });
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
  await writeJsonAtomic(join(run.dir, RUN_SUMMARY_FILE), {
    format: 'procpt.run-summary',
    version: 1,
    run: run.name,
    seed: run.seed,
    ...run.result!,
    metrics: { loss, ...math },
  });
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
