// The output head fused with the masked next-token cross-entropy: the fused kernel where the backend has one
// (kernel-spec.ts), else the one chunked standard-tfjs fallback below, which never holds the [N, V] logits either.
import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, runFusedKernel, tapeOn, withGradient } from './fused-kernel.js';
import { FUSED_KERNELS, type MaskedCrossEntropyAttrs, type MaskedCrossEntropyInputs } from './kernel-spec.js';

/** Default budget of logits materialised at once (elements): 4M floats = 16 MiB per chunk. */
export const DEFAULT_LOGIT_BUDGET = 1 << 22;

/** Rows per chunk so that one chunk's logits stay within the budget. */
export function chunkRowsFor(vocabSize: number, budget = DEFAULT_LOGIT_BUDGET): number {
  return Math.max(1, Math.floor(budget / vocabSize));
}

/** Options of {@link maskedCrossEntropy} and {@link maskedCrossEntropyStats}. */
export interface CrossEntropyOptions {
  /**
   * Rows of logits the standard-ops fallback computes at once; default {@link chunkRowsFor}(V), one chunk under 4M
   * logits. The fused kernel chooses its own chunks.
   */
  chunkRows?: number;
}

function checkCE(h: tf.Tensor2D, w: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): void {
  const n = h.shape[0];
  if (
    h.rank !== 2 ||
    w.rank !== 2 ||
    h.shape[1] !== w.shape[1] ||
    targets.shape[0] !== n ||
    weights.shape[0] !== n
  ) {
    throw new ProcptError(
      'usage',
      `maskedCrossEntropy: expected h [N, d], w [V, d], targets [N], weights [N]; got [${h.shape}], [${w.shape}], [${targets.shape}], [${weights.shape}]`,
    );
  }
  if (targets.dtype !== 'int32' || weights.dtype !== 'float32') {
    throw new ProcptError(
      'usage',
      `maskedCrossEntropy: targets must be int32 and weights float32, got ${targets.dtype} / ${weights.dtype}`,
    );
  }
}

function runCE(inputs: MaskedCrossEntropyInputs<tf.Tensor>, withGrad: boolean): tf.Tensor[] {
  return runFusedKernel(FUSED_KERNELS.maskedCrossEntropy, inputs, {
    withGrad,
  } satisfies MaskedCrossEntropyAttrs);
}

/**
 * Σᵢ weightsᵢ · CE(hᵢ·Wᵀ, targetsᵢ): the weighted (masked) sum of next-token cross-entropies with the output
 * head fused in. Differentiable w.r.t. `h` and `w`. On `procpt-native` logits are formed chunk by chunk and the
 * gradients in the same pass; elsewhere standard ops do the same `options.chunkRows` rows at a time, recomputing
 * each chunk's logits in the backward. Either way [N, V] never exists (the V = 50,257 GPT-2 vocabulary fits the
 * 4 GiB wasm heap).
 *
 * @param h hidden states [N, d] (differentiable)
 * @param w head weight [V, d] (`wte` when tied, `lm_head.weight` otherwise; differentiable)
 * @param targets int32 [N]
 * @param weights float32 [N] (0 = not scored)
 */
export function maskedCrossEntropy(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  options: CrossEntropyOptions = {},
): tf.Scalar {
  checkCE(h, w, targets, weights);
  if (!hasFusedKernel(FUSED_KERNELS.maskedCrossEntropy)) {
    return chunkedLossSum(h, w, targets, weights, options.chunkRows ?? chunkRowsFor(w.shape[0]));
  }
  if (!tapeOn()) {
    const [loss, correct] = runCE({ h, w, targets, weights }, false);
    correct!.dispose();
    return loss as tf.Scalar;
  }
  const f = withGradient(2, ([hi, wi], save) => {
    const [loss, correct, dh, dw] = runCE({ h: hi!, w: wi!, targets, weights }, true);
    correct!.dispose();
    save([dh!, dw!]);
    return {
      value: loss!,
      gradFunc: (dy, s) => [tf.mul(s[0]!, dy), tf.mul(s[1]!, dy)],
    };
  });
  return f(h, w) as tf.Scalar;
}

/**
 * Evaluation form of {@link maskedCrossEntropy}: the weighted loss sum and the weighted number of rows whose
 * argmax logit is the target (first maximum wins, as `tf.argMax`). No gradients.
 */
export function maskedCrossEntropyStats(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  options: CrossEntropyOptions = {},
): { lossSum: tf.Scalar; correct: tf.Scalar } {
  checkCE(h, w, targets, weights);
  if (!hasFusedKernel(FUSED_KERNELS.maskedCrossEntropy)) {
    return chunkedStats(h, w, targets, weights, options.chunkRows ?? chunkRowsFor(w.shape[0]));
  }
  const [lossSum, correct] = runCE({ h, w, targets, weights }, false);
  return { lossSum: lossSum as tf.Scalar, correct: correct as tf.Scalar };
}

function chunks(n: number, rows: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < n; s += rows) out.push([s, Math.min(rows, n - s)]);
  return out;
}

/** {@link maskedCrossEntropy} as standard ops, `chunkRows` rows of logits at a time (also in the backward). */
function chunkedLossSum(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  chunkRows: number,
): tf.Scalar {
  const n = h.shape[0];
  const [vocab, d] = w.shape;
  const parts = chunks(n, chunkRows);
  // Targets and weights are inputs (and saved) rather than closure captures: the caller's tidy
  // disposes captured tensors before the backward pass runs. Targets travel as float32 (exact
  // below 2^24) because tfjs requires float32 gradients for every input.
  const fn = tf.customGrad(((
    hIn: tf.Tensor,
    wIn: tf.Tensor,
    tIn: tf.Tensor,
    sIn: tf.Tensor,
    save: tf.GradSaveFunc,
  ) => {
    const hh = hIn as tf.Tensor2D;
    const ww = wIn as tf.Tensor2D;
    save([hh, ww, tIn, sIn]);
    const sums = parts.map(([s, c]) =>
      tf.tidy(() => {
        const hc = tf.slice(hh, [s, 0], [c, d]);
        const tc = tf.cast(tf.slice(tIn, [s], [c]), 'int32');
        const wc = tf.slice(sIn, [s], [c]);
        const logits = tf.matMul(hc, ww, false, true);
        const lse = tf.logSumExp(logits, 1);
        // target logit as a row dot product: O(c·d) instead of a [c, V] one-hot
        const targetLogit = tf.sum(tf.mul(hc, tf.gather(ww, tc)), 1);
        return tf.sum(tf.mul(tf.sub(lse, targetLogit), wc));
      }),
    );
    const value = sums.length === 1 ? sums[0]! : tf.addN(sums);
    if (sums.length > 1) tf.dispose(sums);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [hs, ws, ts, ss] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const dys = dy as tf.Scalar;
        const dhParts: tf.Tensor[] = [];
        let dw: tf.Tensor = tf.zeros([vocab, d]);
        for (const [s, c] of parts) {
          const [dhc, dwc] = tf.tidy(() => {
            const hc = tf.slice(hs, [s, 0], [c, d]);
            const tc = tf.cast(tf.slice(ts, [s], [c]), 'int32');
            const scale = tf.reshape(tf.mul(tf.slice(ss, [s], [c]), dys), [c, 1]);
            const logits = tf.matMul(hc, ws, false, true);
            const probs = tf.softmax(logits);
            // int32 one-hot then cast: the wasm OneHot kernel ignores a float32 dtype (writes int bits)
            const g = tf.mul(tf.sub(probs, tf.cast(tf.oneHot(tc, vocab), 'float32')), scale);
            return [tf.matMul(g, ws), tf.matMul(g, hc, true, false)];
          });
          dhParts.push(dhc);
          const next = tf.add(dw, dwc);
          tf.dispose([dw, dwc]);
          dw = next;
        }
        const dh = dhParts.length === 1 ? dhParts[0]! : tf.concat(dhParts, 0);
        if (dhParts.length > 1) tf.dispose(dhParts);
        return [dh, dw, tf.zerosLike(ts), tf.zerosLike(ss)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return tf.tidy(() => fn(h, w, tf.cast(targets, 'float32'), tf.cast(weights, 'float32')) as tf.Scalar);
}

/** {@link maskedCrossEntropyStats} as standard ops, `chunkRows` rows of logits at a time. */
function chunkedStats(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
  chunkRows: number,
): { lossSum: tf.Scalar; correct: tf.Scalar } {
  return tf.tidy(() => {
    const d = w.shape[1];
    let lossSum: tf.Scalar = tf.scalar(0);
    let correct: tf.Scalar = tf.scalar(0);
    for (const [s, c] of chunks(h.shape[0], chunkRows)) {
      const hc = tf.slice(h, [s, 0], [c, d]);
      const tc = tf.slice(targets, [s], [c]);
      const wc = tf.slice(weights, [s], [c]);
      const logits = tf.matMul(hc, w, false, true);
      const targetLogit = tf.sum(tf.mul(hc, tf.gather(w, tc)), 1);
      lossSum = tf.add(lossSum, tf.sum(tf.mul(tf.sub(tf.logSumExp(logits, 1), targetLogit), wc)));
      const hit = tf.cast(tf.equal(tf.argMax(logits, 1), tc), 'float32');
      correct = tf.add(correct, tf.sum(tf.mul(hit, wc)));
    }
    return { lossSum, correct };
  });
}
