import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';

/** What validation loss needs from a model: `Gpt.evaluate` (sum of masked CE, count, argmax hits). */
export interface EvaluateModel {
  readonly config: { readonly nPositions: number };
  evaluate(
    tokens: tf.Tensor2D,
    lossMask: tf.Tensor2D,
  ): Promise<{ lossSum: number; count: number; correct: number }>;
}

/** Options of {@link validationLoss}. */
export interface ValidationLossOptions {
  /** Window length in tokens (default: the model's context). */
  length?: number;
  /** Windows per `evaluate` call (default 8). */
  batch?: number;
  /** Evaluate at most this many windows (default all). */
  maxWindows?: number;
}

/** Validation loss of a token stream. */
export interface ValidationLoss {
  /** Mean next-token cross-entropy (nats) over every scored token. */
  loss: number;
  /** `exp(loss)`. */
  perplexity: number;
  /** Argmax next-token accuracy. */
  accuracy: number;
  /** Scored tokens and windows. */
  tokens: number;
  windows: number;
}

/**
 * Validation loss and perplexity of a token stream (e.g. a validation shard read with
 * `@procpt/tokenizer`'s `readShard`): the stream is cut into consecutive non-overlapping windows of
 * `length` tokens, each scored on its `length - 1` next-token predictions (like the paper's C4 and
 * CodeParrot evaluation, which score blocks of the context length). A final shorter window is scored too.
 * The mean is token-weighted over the whole stream (the paper's HF Trainer averages per-batch means,
 * which differs only in the last, smaller batch).
 */
export async function validationLoss(
  model: EvaluateModel,
  tokens: ArrayLike<number>,
  options: ValidationLossOptions = {},
): Promise<ValidationLoss> {
  const length = options.length ?? model.config.nPositions;
  const batch = options.batch ?? 8;
  if (!Number.isInteger(length) || length < 2 || length > model.config.nPositions) {
    throw new ProcptError(
      'usage',
      `window length must be an integer in [2, ${model.config.nPositions}], got ${length}`,
    );
  }
  if (!Number.isInteger(batch) || batch < 1)
    throw new ProcptError('usage', `batch must be ≥ 1, got ${batch}`);
  const starts: number[] = [];
  for (let s = 0; s + 2 <= tokens.length; s += length) starts.push(s);
  const windows = starts.slice(0, options.maxWindows ?? starts.length);
  if (windows.length === 0) {
    throw new ProcptError('data', `validation stream has ${tokens.length} tokens; need at least 2`);
  }
  let lossSum = 0;
  let count = 0;
  let correct = 0;
  // Group windows of equal length (only the final one may be shorter).
  for (let i = 0; i < windows.length; ) {
    const w = Math.min(length, tokens.length - (windows[i] as number));
    let j = i;
    while (
      j < windows.length &&
      j - i < batch &&
      Math.min(length, tokens.length - (windows[j] as number)) === w
    )
      j++;
    const rows = j - i;
    const ids = new Int32Array(rows * w);
    const mask = new Float32Array(rows * w);
    for (let r = 0; r < rows; r++) {
      const start = windows[i + r] as number;
      for (let t = 0; t < w; t++) {
        ids[r * w + t] = tokens[start + t] as number;
        mask[r * w + t] = t === 0 ? 0 : 1;
      }
    }
    const idsT = tf.tensor2d(ids, [rows, w], 'int32');
    const maskT = tf.tensor2d(mask, [rows, w], 'float32');
    try {
      const out = await model.evaluate(idsT, maskT);
      lossSum += out.lossSum;
      count += out.count;
      correct += out.correct;
    } finally {
      idsT.dispose();
      maskT.dispose();
    }
    i = j;
  }
  const loss = lossSum / count;
  return {
    loss,
    perplexity: Math.exp(loss),
    accuracy: correct / count,
    tokens: count,
    windows: windows.length,
  };
}
