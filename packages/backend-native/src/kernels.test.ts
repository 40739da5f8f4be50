import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { NATIVE_BACKEND, nativeBackendInfo, registerNativeBackend } from './index.js';
import { onBackend, randomInts, randomTensor, relError } from './test-util.js';

const status = registerNativeBackend();
const TOL = 1e-4;

/** Same computation on cpu and on procpt-native; asserts every output agrees. */
async function agree(fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const ref = await onBackend('cpu', fn);
  const got = await onBackend(NATIVE_BACKEND, fn);
  expect(got.length).toBe(ref.length);
  for (const [i, r] of ref.entries()) expect(relError(got[i]!, r)).toBeLessThan(TOL);
}

const rnd = randomTensor;

describe.skipIf(!status.available)(
  `procpt-native kernels vs cpu${status.available ? '' : ` (skipped: ${status.reason})`}`,
  () => {
    beforeAll(async () => {
      await tf.setBackend(NATIVE_BACKEND);
    });

    it('reports itself', () => {
      const info = nativeBackendInfo();
      expect(info.available).toBe(true);
      expect(info.threads).toBeGreaterThanOrEqual(1);
    });

    const mm: Array<[number[], number[], boolean, boolean]> = [
      [[7, 5], [5, 3], false, false],
      [[1, 1], [1, 1], false, false],
      [[130, 257], [257, 67], false, false],
      [[257, 130], [257, 67], true, false],
      [[130, 257], [67, 257], false, true],
      [[257, 130], [67, 257], true, true],
      [[3, 4, 33, 17], [3, 4, 17, 29], false, false],
      [[6, 17, 33], [6, 29, 17], true, true],
      [[5, 9, 16], [16, 12], false, false],
      [[16, 9], [4, 16, 12], true, false],
    ];
    it.each(mm)(
      'BatchMatMul %j x %j (tA=%s, tB=%s) and its gradient (same-rank inputs)',
      async (sa, sb, ta, tb) => {
        await agree(() => {
          const a = rnd(sa, 1);
          const b = rnd(sb, 2);
          const y = tf.matMul(a, b, ta, tb);
          // tfjs 4.22's BatchMatMul gradient cannot reduce broadcast batch dims (fails on cpu too): forward only.
          if (sa.length !== sb.length) return [y];
          const r = rnd(y.shape, 3);
          const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) =>
            tf.sum(tf.mul(tf.matMul(x, z, ta, tb), r)),
          )([a, b]);
          return [y, ga!, gb!];
        });
      },
    );

    it('fused matMul with bias and relu', async () => {
      await agree(() =>
        tf.fused.matMul({ a: rnd([33, 20], 4), b: rnd([20, 19], 5), bias: rnd([19], 6), activation: 'relu' }),
      );
    });

    const shapes: Array<[number[], number[]]> = [
      [
        [3, 5, 7],
        [3, 5, 7],
      ],
      [[3, 5, 7], [7]],
      [
        [3, 1, 7],
        [1, 5, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [[5], []],
      [[], [4, 3]],
      [
        [1000, 16],
        [1000, 1],
      ],
    ];
    it.each(shapes)('binary ops broadcast %j with %j, and gradients', async (sa, sb) => {
      await agree(() => {
        const a = rnd(sa, 7);
        const b = rnd(sb, 8, 0.5, 2);
        const outs = [
          tf.add(a, b),
          tf.sub(a, b),
          tf.mul(a, b),
          tf.div(a, b),
          tf.maximum(a, b),
          tf.minimum(a, b),
          tf.squaredDifference(a, b),
        ];
        const grads = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.div(tf.mul(tf.add(x, z), x), z)))([
          a,
          b,
        ]);
        return [...outs, ...grads];
      });
    });

    it('unary ops (incl. tiny and large tanh/exp arguments) and gradients', async () => {
      await agree(() => {
        const x = tf.concat([
          rnd([301], 9, -4, 4),
          rnd([37], 10, -1e-3, 1e-3),
          tf.tensor1d([30, -30, 80, -80, 0]),
        ]);
        const p = rnd([123], 11, 0.05, 3);
        return [
          tf.exp(tf.clipByValue(x, -80, 80)),
          tf.tanh(x),
          tf.neg(x),
          tf.square(x),
          tf.relu(x),
          tf.abs(x),
          tf.sigmoid(x),
          tf.sqrt(p),
          tf.rsqrt(p),
          tf.log(p),
          tf.reciprocal(p),
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.tanh(t), tf.exp(tf.mul(t, 0.1)))))(x),
        ];
      });
    });

    it('softmax and its gradient over odd widths', async () => {
      await agree(() => {
        const x = rnd([4, 7, 67], 12, -5, 5);
        const r = rnd([4, 7, 67], 13);
        return [tf.softmax(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), r)))(x)];
      });
    });

    it('reductions over trailing, leading and middle axes', async () => {
      await agree(() => {
        const x = rnd([6, 5, 33], 14);
        return [
          tf.sum(x, -1),
          tf.sum(x, [1, 2], true),
          tf.sum(x, 0),
          tf.sum(x, [0, 1]),
          tf.sum(x, 1),
          tf.sum(x),
          tf.max(x, -1),
          tf.min(x, 2),
          tf.mean(x, -1, true),
          tf.mean(x, 0),
          tf.max(x, 1),
        ];
      });
    });

    it.each([
      [
        [4, 6],
        [1, 0],
      ],
      [
        [2, 3, 4, 5],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 4, 5],
        [0, 2, 3, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 0, 2],
      ],
      [
        [33, 17, 2],
        [2, 0, 1],
      ],
    ])('transpose %j by %j', async (shape, perm) => {
      await agree(() => tf.transpose(rnd(shape, 15), perm));
    });

    it('gather (embedding) and its gradient (UnsortedSegmentSum), O(N·D)', async () => {
      await agree(() => {
        const table = rnd([64, 24], 16);
        const idx = tf.tensor2d(randomInts(4 * 9, 17, 64), [4, 9], 'int32');
        const r = rnd([4, 9, 24], 18);
        return [
          tf.gather(table, idx),
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), r)))(table),
          tf.unsortedSegmentSum(rnd([10, 3], 19), tf.tensor1d([0, 2, 2, 4, 0, 1, 1, 3, 4, 4], 'int32'), 5),
        ];
      });
    });

    it('slice, split, concat of float32 and int32 tensors, pad and the slice gradient', async () => {
      await agree(() => {
        const x = rnd([4, 9, 6], 22);
        const ints = tf.tensor3d(randomInts(4 * 9 * 6, 23, 1000), [4, 9, 6], 'int32');
        const [p, q, r] = tf.split(x, [2, 3, 4], 1);
        const intParts = tf.split(ints, 3, 2).map((t) => tf.cast(t, 'float32'));
        return [
          tf.slice(x, [1, 2, 3], [2, 5, 2]),
          tf.cast(tf.slice(ints, [0, 3, 1], [3, -1, 4]), 'float32'),
          p!,
          q!,
          r!,
          ...intParts,
          tf.concat([x, x], 2),
          tf.cast(tf.concat([ints, ints], 0), 'float32'),
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.concat(tf.split(t, [5, 4], 1).reverse(), 1), x)))(x),
        ];
      });
    });

    it('leaks no tensors across kernels and gradients', async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const a = rnd([9, 8], 20);
      const b = rnd([8, 7], 21);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        tf.tidy(() => {
          const g = tf.grads((x: tf.Tensor, z: tf.Tensor) =>
            tf.sum(tf.softmax(tf.tanh(tf.add(tf.matMul(x, z), 1)))),
          )([a, b]);
          return g;
        }).forEach((t) => {
          t.dispose();
        });
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
    });
  },
);
