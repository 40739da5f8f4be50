import { join } from 'node:path';
import { type WarmupMetric, warmupAccuracy } from '@procpt/eval';
import { loadCheckpoint } from '@procpt/model';
import { type GeneratorSpec, createGenerator } from '@procpt/procgen';
import type { PlannedRun } from './plan/index.js';

/** Fresh samples each warm-up is scored on (its own task, after training). */
export const WARMUP_EVAL_SAMPLES = 64;
/**
 * Generator seed offset of those samples: training draws from the run seed, the trainer's evaluations
 * from seed + 10,000 (the paper's validation offset), this check from seed + 20,000: never seen.
 */
export const WARMUP_EVAL_SEED_OFFSET = 20_000;

/** A warm-up's own-task score on fresh samples (see `@procpt/eval`'s `warmupAccuracy`). */
export interface OwnTaskScore {
  /** `closing-bracket` for Dyck types, `masked-token` (the generator's scored targets) otherwise. */
  metric: WarmupMetric;
  accuracy: number;
  /** Positions scored. */
  count: number;
  samples: number;
}

/**
 * Scores the weights a warm-up run hands over (its last, or its best evaluation's) on {@link WARMUP_EVAL_SAMPLES} fresh samples of its own
 * generator: Dyck closing-bracket accuracy, or masked-token accuracy for other types. Tells a reader
 * whether the warm-up was learned before its transfer is judged. `null` for non-procedural data.
 */
export async function scoreWarmup(run: PlannedRun): Promise<OwnTaskScore | null> {
  const train = run.config.data.train;
  if (train.kind !== 'procgen') return null;
  const gen = createGenerator({
    ...(train.params ?? {}),
    type: train.type,
    seed: run.seed + WARMUP_EVAL_SEED_OFFSET,
  } as GeneratorSpec);
  const samples = Array.from({ length: WARMUP_EVAL_SAMPLES }, (_, i) => gen.sample(i));
  const { model } = await loadCheckpoint(join(run.dir, run.weights));
  try {
    const score = await warmupAccuracy(model, samples, {
      type: gen.type,
      params: gen.params,
      padId: gen.padId,
    });
    return {
      metric: score.metric,
      accuracy: score.accuracy,
      count: score.count,
      samples: samples.length,
    };
  } finally {
    model.dispose();
  }
}
