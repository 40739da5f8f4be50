import type { Sample } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { DiagnosticDataset, packRows } from './diagnostic-data.js';
import { type DiagnosticScore, DiagnosticScorer } from './scoring.js';
import type { DiagnosticTask } from './tasks/types.js';

/**
 * What diagnostic evaluation needs from a model: its shape and a teacher-forced forward pass. `Gpt` from
 * `@procpt/model` satisfies it.
 */
export interface ForwardModel {
  readonly config: { readonly vocabSize: number; readonly nPositions: number };
  /** Logits `[B, T, V]` for int32 tokens `[B, T]`. */
  forward(tokens: tf.Tensor2D): tf.Tensor3D;
}

/** Options of {@link evaluateDiagnostic}. */
export interface EvaluateDiagnosticOptions {
  /** Examples per forward pass (default 250). */
  batchSize?: number;
  /** Called after each batch with the number of examples done. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Scores `model` on a diagnostic test set with teacher forcing: the paper's masked accuracy and loss
 * (quirks included) and the strict per-example exact match. Accepts a dataset (its test set is used) or
 * explicit samples of `task`.
 */
export async function evaluateDiagnostic(
  model: ForwardModel,
  data: DiagnosticDataset | { task: DiagnosticTask; samples: readonly Sample[] },
  options: EvaluateDiagnosticOptions = {},
): Promise<DiagnosticScore> {
  const task = data.task;
  const samples = data instanceof DiagnosticDataset ? data.test : data.samples;
  const batchSize = options.batchSize ?? 250;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ProcptError('usage', `batchSize must be a positive integer, got ${batchSize}`);
  }
  const { vocabSize, nPositions } = model.config;
  if (vocabSize < task.vocabSize || nPositions < task.length) {
    throw new ProcptError(
      'config',
      `model (vocab ${vocabSize}, context ${nPositions}) cannot read ${task.name} examples ` +
        `(vocab ${task.vocabSize}, ${task.length} tokens)`,
      { hint: `build the model with vocabSize ≥ ${task.vocabSize} and nPositions ≥ ${task.length}` },
    );
  }
  const scorer = new DiagnosticScorer(task);
  const T = task.length;
  for (let start = 0; start < samples.length; start += batchSize) {
    const rows = samples.slice(start, start + batchSize);
    const packed = packRows(rows, T, task.padId);
    const [predicted, logProb] = await teacherForced(model, packed.tokens, rows.length, T);
    rows.forEach((row, r) => {
      scorer.add(row.tokens, predicted.subarray(r * T, r * T + T), logProb.subarray(r * T, r * T + T));
    });
    options.onProgress?.(start + rows.length, samples.length);
  }
  return scorer.result();
}

/**
 * One teacher-forced pass: per position, the argmax token and the log-probability of the next true token
 * (the last position of each row gets 0). Flat `[B·T]` arrays.
 */
export async function teacherForced(
  model: ForwardModel,
  tokens: Int32Array,
  batch: number,
  length: number,
): Promise<[Int32Array, Float32Array]> {
  // Target of position i is token i + 1; the last position has none (a dummy 0 target, ignored).
  const next = new Int32Array(tokens.length);
  for (let r = 0; r < batch; r++) next.set(tokens.subarray(r * length + 1, r * length + length), r * length);
  const [argmax, targetLogProb] = tf.tidy(() => {
    const logits = model.forward(tf.tensor2d(tokens, [batch, length], 'int32'));
    const vocab = logits.shape[2];
    const logp = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(tf.tensor2d(next, [batch, length], 'int32'), vocab, 1, 0, 'float32');
    const picked = tf.sum(tf.mul(logp, oneHot), -1);
    return [tf.argMax(logits, -1), picked] as const;
  });
  try {
    const [a, p] = await Promise.all([argmax.data(), targetLogProb.data()]);
    return [Int32Array.from(a), Float32Array.from(p)];
  } finally {
    argmax.dispose();
    targetLogProb.dispose();
  }
}
