import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
// The model's fused ops (their standard-ops fallback on cpu) are the reference for this backend's kernels.
import {
  biasGelu,
  fusedAttention,
  layerNorm,
  maskedCrossEntropy,
  maskedCrossEntropyStats,
} from '@procpt/model';
import { describe, expect, it } from 'vitest';
import { adamwUpdate, NATIVE_BACKEND, registerNativeBackend } from './index.js';
import { onBackend, randomInts, randomTensor, randomValues, relError } from './test-util.js';

const status = registerNativeBackend();
const TOL = 1e-4;
const rnd = randomTensor;

/** Fused kernels on procpt-native vs the composite fallback of the same op on cpu (values and gradients). */
async function agree(fn: () => tf.Tensor[]): Promise<void> {
  const ref = await onBackend('cpu', fn);
  const got = await onBackend(NATIVE_BACKEND, fn);
  for (const [i, r] of ref.entries()) expect(relError(got[i]!, r), `output ${i}`).toBeLessThan(TOL);
}

describe('fused ops fall back to composite tfjs ops on other backends', () => {
  it('fusedAttention equals explicit masked softmax attention on cpu', async () => {
    const [got] = await onBackend('cpu', () => fusedAttention(rnd([1, 3, 6], 1) as tf.Tensor3D, 1));
    // hand-computed check of the first row: attends only to itself, so y_0 = v_0
    const qkv = randomValues(18, 1);
    expect(Array.from(got!.slice(0, 2))).toEqual([qkv[4]!, qkv[5]!].map((v) => expect.closeTo(v, 6)));
  });
  it('rejects bad shapes with a usage error', () => {
    expect(() => fusedAttention(tf.zeros([2, 3, 10]) as tf.Tensor3D, 2)).toThrow(/divisible/);
    expect(() => layerNorm(tf.zeros([2, 4]), tf.zeros([3]), tf.zeros([4]))).toThrow(/gamma/);
  });
});

describe.skipIf(!status.available)(
  `fused ops on procpt-native${status.available ? '' : ` (skipped: ${status.reason})`}`,
  () => {
    it.each([
      [2, 7, 3, 4],
      [1, 63, 4, 4],
      [2, 33, 2, 16],
      [2, 80, 2, 16], // several causal row blocks of the GEMM path, the last one ragged
    ])('fusedAttention B=%i T=%i H=%i dh=%i: value and gradient', async (b, t, h, dh) => {
      await agree(() => {
        const qkv = rnd([b, t, 3 * h * dh], 2, -2, 2);
        const r = rnd([b, t, h * dh], 3);
        const y = fusedAttention(qkv as tf.Tensor3D, h);
        const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(fusedAttention(x as tf.Tensor3D, h), r)))(qkv);
        return [y, g];
      });
    });

    it('layerNorm: value and gradients w.r.t. x, gamma, beta', async () => {
      await agree(() => {
        const x = rnd([5, 3, 37], 4, -3, 3);
        const g = rnd([37], 5, 0.5, 1.5) as tf.Tensor1D;
        const b = rnd([37], 6) as tf.Tensor1D;
        const r = rnd([5, 3, 37], 7);
        const grads = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(layerNorm(xi, gi as tf.Tensor1D, bi as tf.Tensor1D), r)),
        )([x, g, b]);
        return [layerNorm(x, g, b), ...grads];
      });
    });

    it('biasGelu: value and gradients w.r.t. x and bias', async () => {
      await agree(() => {
        const x = rnd([9, 70], 8, -4, 4);
        const b = rnd([70], 9) as tf.Tensor1D;
        const r = rnd([9, 70], 10);
        const grads = tf.grads((xi: tf.Tensor, bi: tf.Tensor) =>
          tf.sum(tf.mul(biasGelu(xi, bi as tf.Tensor1D), r)),
        )([x, b]);
        return [biasGelu(x, b), ...grads];
      });
    });

    it.each([
      [37, 11, 5],
      [700, 300, 16],
    ])('maskedCrossEntropy N=%i V=%i d=%i: loss, gradients and eval stats', async (n, v, d) => {
      await agree(() => {
        const h = rnd([n, d], 11, -2, 2) as tf.Tensor2D;
        const w = rnd([v, d], 12) as tf.Tensor2D;
        const targets = tf.tensor1d(randomInts(n, 13, v), 'int32');
        const weights = tf.tensor1d(Float32Array.from(randomValues(n, 14, 0, 1), (x) => (x < 0.3 ? 0 : 1)));
        const loss = maskedCrossEntropy(h, w, targets, weights);
        const grads = tf.grads((hi: tf.Tensor, wi: tf.Tensor) =>
          tf.mul(maskedCrossEntropy(hi as tf.Tensor2D, wi as tf.Tensor2D, targets, weights), 0.5),
        )([h, w]);
        const { lossSum, correct } = maskedCrossEntropyStats(h, w, targets, weights);
        return [loss, ...grads, lossSum, correct];
      });
    });

    it('adamwUpdate in place equals the composite update over three steps', async () => {
      const run = () => {
        const p = tf.variable(rnd([13, 7], 15));
        const m = tf.variable(tf.zeros([13, 7]));
        const v = tf.variable(tf.zeros([13, 7]));
        for (let step = 1; step <= 3; step++) {
          const g = rnd([13, 7], 16 + step);
          adamwUpdate(p, g, m, v, { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step });
          g.dispose();
        }
        const out = [p, m, v].map((t) => tf.clone(t));
        tf.dispose([p, m, v]);
        return out;
      };
      await agree(run);
    });

    it('leaks no tensors in forward/backward of every fused op', async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const qkv = rnd([2, 5, 24], 20);
      const x = rnd([10, 8], 21);
      const g = rnd([8], 22) as tf.Tensor1D;
      const targets = tf.tensor1d([1, 2, 3, 0, 1, 2, 3, 0, 1, 2], 'int32');
      const weights = tf.ones([10]) as tf.Tensor1D;
      const before = tf.memory().numTensors;
      for (let i = 0; i < 2; i++) {
        // forward without a tape (the no-grad kernel paths) ...
        tf.dispose(
          tf.tidy(() => [
            fusedAttention(qkv as tf.Tensor3D, 2),
            maskedCrossEntropy(
              tf.slice(x, [0, 0], [10, 8]) as tf.Tensor2D,
              tf.slice(x, [0, 0], [4, 8]) as tf.Tensor2D,
              targets,
              weights,
            ),
            layerNorm(biasGelu(x, g), g, g),
          ]),
        );
        // ... and with gradients (saved tensors of customGrad must be released after backprop)
        tf.dispose(
          tf.tidy(() =>
            tf.grads((hi: tf.Tensor, wi: tf.Tensor) =>
              maskedCrossEntropy(hi as tf.Tensor2D, wi as tf.Tensor2D, targets, weights),
            )([x, tf.slice(x, [0, 0], [4, 8])]),
          ),
        );
        tf.dispose(
          tf.tidy(() =>
            tf.grads((q: tf.Tensor, xi: tf.Tensor) =>
              tf.add(tf.sum(fusedAttention(q as tf.Tensor3D, 2)), tf.sum(layerNorm(biasGelu(xi, g), g, g))),
            )([qkv, x]),
          ),
        );
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  },
);
