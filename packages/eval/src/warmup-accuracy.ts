import type { Sample } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import { type ForwardModel, teacherForced } from './diagnostic-eval.js';

/**
 * Which positions a warm-up's own task accuracy counts:
 * - `closing-bracket`: Dyck / Dyck-shuffle — only targets that are closing brackets (`k ≤ t < 2k`). An
 *   opening bracket is a coin flip by construction, a closing one is fully determined by the context
 *   (Dyck) or nearly so, so this is the share of the language's structure the model has learned;
 * - `masked-token`: every other procedural type — the generator's own scored targets (`loss = 1`), e.g.
 *   the output half of `x SEP f(x)`.
 */
export type WarmupMetric = 'closing-bracket' | 'masked-token';

/** A warm-up's own task accuracy (see {@link warmupAccuracy}). */
export interface WarmupAccuracy {
  metric: WarmupMetric;
  /** correct / count, in [0, 1]; NaN when no position was scored. */
  accuracy: number;
  correct: number;
  count: number;
}

/** Options of {@link warmupAccuracy}. */
export interface WarmupAccuracyOptions {
  /** procgen type of the samples (`dyck`, `dyck-shuffle`, `set`, …). */
  type: string;
  /** The generator's parameters; Dyck types need `k`. */
  params?: Readonly<Record<string, unknown>>;
  /** Rows per forward pass (default 64). */
  batchSize?: number;
  /** Token that pads rows shorter than the longest one (default 0); padding is never scored. */
  padId?: number;
}

const BRACKET_TYPES = new Set(['dyck', 'dyck-shuffle']);

/** The metric used for a procedural type. */
export function warmupMetric(type: string): WarmupMetric {
  return BRACKET_TYPES.has(type) ? 'closing-bracket' : 'masked-token';
}

function bracketTypes(options: WarmupAccuracyOptions): number {
  const k = options.params?.k;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
    throw new ProcptError('usage', `closing-bracket accuracy of ${options.type} needs params.k`, {
      hint: 'pass the generator params, e.g. { type: "dyck", params: { k: 16 } }',
    });
  }
  return k;
}

/**
 * Which targets of `sample` count: a mask aligned with `sample.tokens` (1 = token i is a scored target,
 * predicted at position i − 1). Closing brackets for Dyck types, the sample's loss mask otherwise.
 */
export function warmupScoredTargets(sample: Sample, options: WarmupAccuracyOptions): Uint8Array {
  const { tokens, loss } = sample;
  if (warmupMetric(options.type) === 'masked-token') return loss;
  const k = bracketTypes(options);
  const out = new Uint8Array(tokens.length);
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i] as number;
    out[i] = loss[i] === 1 && t >= k && t < 2 * k ? 1 : 0;
  }
  return out;
}

/**
 * The warm-up's own task accuracy of `model` on `samples`, teacher-forced with argmax predictions:
 * Dyck closing-bracket accuracy, or masked-token accuracy for other types. Use it to show whether a
 * warm-up was learned before judging its transfer. Rows longer than the model's context are an error.
 */
export async function warmupAccuracy(
  model: ForwardModel,
  samples: readonly Sample[],
  options: WarmupAccuracyOptions,
): Promise<WarmupAccuracy> {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ProcptError('usage', `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (samples.length === 0) {
    throw new ProcptError('usage', 'warmupAccuracy needs at least one sample');
  }
  const metric = warmupMetric(options.type);
  if (metric === 'closing-bracket') bracketTypes(options);
  // The model reads inputs tokens[0 .. T-2]; the last token is only ever a target.
  const T = samples.reduce((m, s) => Math.max(m, s.tokens.length), 0);
  const W = Math.max(1, T - 1);
  const { vocabSize, nPositions } = model.config;
  if (W > nPositions) {
    throw new ProcptError(
      'config',
      `warm-up rows of ${T} tokens need ${W} positions, the model has ${nPositions}`,
      {
        hint: 'evaluate on rows no longer than the warm-up model was built for',
      },
    );
  }
  const padId = options.padId ?? 0;
  let correct = 0;
  let count = 0;
  for (let start = 0; start < samples.length; start += batchSize) {
    const rows = samples.slice(start, start + batchSize);
    const tokens = new Int32Array(rows.length * W).fill(padId);
    rows.forEach((row, r) => {
      for (const t of row.tokens) {
        if (t < 0 || t >= vocabSize) {
          throw new ProcptError('data', `token ${t} outside the model vocabulary (${vocabSize})`, {
            hint: 'evaluate a warm-up model on samples of its own generator',
          });
        }
      }
      tokens.set(row.tokens.subarray(0, W), r * W);
    });
    const [predicted] = await teacherForced(model, tokens, rows.length, W);
    rows.forEach((row, r) => {
      const scored = warmupScoredTargets(row, options);
      // target i is predicted at position i - 1
      for (let i = 1; i < row.tokens.length; i++) {
        if (scored[i] !== 1) continue;
        count++;
        if (predicted[r * W + i - 1] === row.tokens[i]) correct++;
      }
    });
  }
  return { metric, accuracy: count === 0 ? Number.NaN : correct / count, correct, count };
}
