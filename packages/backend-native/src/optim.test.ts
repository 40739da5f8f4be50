import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  adamwUpdate,
  globalGradNorm,
  NATIVE_BACKEND,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from './index.js';
import { randomValues } from './test-util.js';

const status = registerNativeBackend();
// Several tensors of odd sizes; the largest spans several 64Ki-element chunks of the native pass.
const SHAPES = [[3], [17, 5], [60, 701], [64], [1]];
const grads = () => SHAPES.map((s, i) => tf.tensor(randomValues(s[0]! * (s[1] ?? 1), 40 + i, -2, 2), s));

/** √Σg² exactly as the tfjs path of `globalNormClip` computes it (per-tensor sum of squares, then addN). */
function tfjsNorm(ts: tf.Tensor[]): number {
  return tf.tidy(() => tf.sqrt(tf.addN(ts.map((g) => tf.sum(tf.square(g))))).dataSync()[0]!);
}

describe.skipIf(!status.available)(
  `globalGradNorm and scaled adamwUpdate on procpt-native${status.available ? '' : ` (skipped: ${status.reason})`}`,
  () => {
    const threads = nativeBackendInfo().threads ?? 1;
    afterAll(async () => {
      setNativeThreads(threads);
      await tf.setBackend('cpu');
    });

    it('equals the tfjs norm (cpu backend) and the float64 norm, without creating tensors', async () => {
      await tf.setBackend('cpu');
      const ref = grads();
      const want = tfjsNorm(ref);
      let exact = 0;
      for (const g of ref) for (const x of g.dataSync()) exact += x * x;
      tf.dispose(ref);
      await tf.setBackend(NATIVE_BACKEND);
      const gs = grads();
      const before = tf.memory().numTensors;
      const got = globalGradNorm(gs);
      expect(tf.memory().numTensors).toBe(before);
      expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
      expect(Math.abs(got - Math.sqrt(exact)) / got).toBeLessThan(1e-12);
      tf.dispose(gs);
    });

    it('gives the same bits on 1 and 2 threads, and is 0 for no gradients', async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const gs = grads();
      setNativeThreads(1);
      const one = globalGradNorm(gs);
      setNativeThreads(2);
      expect(globalGradNorm(gs)).toBe(one);
      setNativeThreads(threads);
      expect(globalGradNorm([])).toBe(0);
      tf.dispose(gs);
    });

    it('propagates NaN and Infinity (the trainer skips such steps)', async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const gs = grads();
      const values = (x: number) => {
        const bad = Float32Array.from(randomValues(70_000, 9));
        bad[69_999] = x;
        return tf.tensor(bad);
      };
      const nan = values(Number.NaN);
      const inf = values(Number.POSITIVE_INFINITY);
      expect(globalGradNorm([...gs, nan])).toBeNaN();
      expect(globalGradNorm([inf, ...gs])).toBe(Number.POSITIVE_INFINITY);
      expect(() => globalGradNorm([tf.tensor([1, 2], [2], 'int32')])).toThrow(/float32/);
      tf.dispose([...gs, nan, inf]);
    });

    it('adamwUpdate with gradScale equals the update on a pre-scaled gradient, bit for bit, on both paths', async () => {
      const run = (backend: string, prescale: boolean) => {
        const p = tf.variable(tf.tensor(randomValues(60 * 701, 50), [60, 701]));
        const m = tf.variable(tf.zeros([60, 701]));
        const v = tf.variable(tf.zeros([60, 701]));
        const scale = Math.fround(0.0371);
        for (let step = 1; step <= 2; step++) {
          const raw = tf.tensor(randomValues(60 * 701, 50 + step, -3, 3), [60, 701]);
          const g = prescale ? tf.mul(raw, tf.scalar(scale)) : raw;
          const hp = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step };
          adamwUpdate(p, g, m, v, prescale ? hp : { ...hp, gradScale: scale });
          tf.dispose([raw, g]);
        }
        const out = [p, m, v].map((t) => Float32Array.from(t.dataSync()));
        tf.dispose([p, m, v]);
        return { backend, out };
      };
      for (const backend of [NATIVE_BACKEND, 'cpu']) {
        await tf.setBackend(backend);
        const a = run(backend, false);
        const b = run(backend, true);
        for (let i = 0; i < 3; i++) expect(a.out[i], `${backend} tensor ${i}`).toEqual(b.out[i]);
      }
    });
  },
);
