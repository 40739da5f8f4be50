import '@tensorflow/tfjs-backend-cpu';
import { fusedAttention, Gpt, gptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import {
  FUSED_KERNELS,
  NATIVE_BACKEND,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from './index.js';
import { onBackend, randomTensor, randomValues, relError } from './test-util.js';

// Attention dropout inside the fused kernel: the mask comes from a stateless hash of (seed, b, h, i, j), so the
// reference below rebuilds the same attention on cpu with composite ops and the addon's exported mask.
const status = registerNativeBackend();
const TOL = 1e-4;
const rnd = randomTensor;

function mask(addon: NativeAddon, b: number, h: number, t: number, rate: number, seed: number): Float32Array {
  const m = new Float32Array(b * h * t * t);
  addon.attentionDropoutMask(m, b, h, t, rate, seed);
  return m;
}

/** Causal attention with the probabilities multiplied by keep/(1 − rate), as composite tfjs ops. */
function reference(qkv: tf.Tensor3D, h: number, keep: tf.Tensor4D, rate: number): tf.Tensor3D {
  const [b, t, d3] = qkv.shape;
  const d = d3 / 3;
  const dh = d / h;
  const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]);
  const [q, k, v] = tf.split(qkv, 3, 2).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9);
  const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), causal));
  const y = tf.matMul(tf.mul(p, tf.mul(keep, 1 / (1 - rate))), v);
  return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, t, d]) as tf.Tensor3D;
}

describe.skipIf(!status.available)(
  `fused attention dropout on procpt-native${status.available ? '' : ` (skipped: ${status.reason})`}`,
  () => {
    const addon = loadAddon().addon as NativeAddon;
    const threads = nativeBackendInfo().threads ?? 1;
    afterAll(() => setNativeThreads(threads));

    it.each([
      [2, 7, 3, 4],
      [2, 80, 2, 16],
    ])(
      'rate 0 with dropout attrs is bit-identical to the plain kernel (B=%i T=%i H=%i dh=%i)',
      async (b, t, h, dh) => {
        const run = (attrs: Record<string, number>) =>
          onBackend(NATIVE_BACKEND, () => {
            const qkv = rnd([b, t, 3 * h * dh], 30, -2, 2);
            const [y, probs] = tf.engine().runKernel(FUSED_KERNELS.attention, { qkv }, attrs) as tf.Tensor[];
            const dy = rnd([b, t, h * dh], 31);
            const g = tf.engine().runKernel(FUSED_KERNELS.attentionGrad, { dy, qkv, probs: probs! }, attrs);
            return [y!, probs!, g as tf.Tensor];
          });
        const plain = await run({ nHead: h });
        const zero = await run({ nHead: h, dropout: 0, seed: 12345 });
        for (const [i, p] of plain.entries()) expect(zero[i], `output ${i}`).toEqual(p);
      },
    );

    it.each([
      [2, 7, 3, 4, 0.3],
      [1, 63, 4, 4, 0.1],
      [2, 33, 2, 16, 0.5],
      [2, 80, 2, 16, 0.1], // several causal row blocks of the GEMM path, the last one ragged
    ])(
      'B=%i T=%i H=%i dh=%i rate %f: value and gradient match cpu with the same mask',
      async (b, t, h, dh, rate) => {
        const seed = 1000 + t;
        const keep = mask(addon, b, h, t, rate, seed);
        const inputs = () =>
          [rnd([b, t, 3 * h * dh], 2, -2, 2) as tf.Tensor3D, rnd([b, t, h * dh], 3)] as const;
        const ref = await onBackend('cpu', () => {
          const [qkv, r] = inputs();
          const m = tf.tensor4d(keep, [b, h, t, t]);
          const f = (x: tf.Tensor) => reference(x as tf.Tensor3D, h, m, rate);
          return [f(qkv), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), r)))(qkv)];
        });
        const got = await onBackend(NATIVE_BACKEND, () => {
          const [qkv, r] = inputs();
          const f = (x: tf.Tensor) => fusedAttention(x as tf.Tensor3D, h, { dropout: rate, seed });
          return [f(qkv), tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), r)))(qkv)];
        });
        expect(relError(got[0]!, ref[0]!), 'value').toBeLessThan(TOL);
        expect(relError(got[1]!, ref[1]!), 'gradient').toBeLessThan(TOL);
        // the dropout changed the result (it is not silently ignored)
        const plain = await onBackend(NATIVE_BACKEND, () => fusedAttention(inputs()[0], h));
        expect(relError(got[0]!, plain[0]!)).toBeGreaterThan(1e-2);
      },
    );

    it('keeps ≈ 1 − rate; same seed same mask, another seed another mask', () => {
      for (const rate of [0.1, 0.5]) {
        const a = mask(addon, 2, 4, 128, rate, 7);
        const kept = a.reduce((s, v) => s + v, 0) / a.length;
        expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.01);
        expect(mask(addon, 2, 4, 128, rate, 7)).toEqual(a);
        const other = mask(addon, 2, 4, 128, rate, 8);
        let same = 0;
        for (let i = 0; i < a.length; i++) same += a[i] === other[i] ? 1 : 0;
        // independent masks agree on a fraction (1 − p)² + p² of entries
        expect(same / a.length).toBeCloseTo((1 - rate) ** 2 + rate ** 2, 1);
      }
    });

    it('results do not depend on the thread count', async () => {
      const run = () =>
        onBackend(NATIVE_BACKEND, () => {
          const out: tf.Tensor[] = [];
          for (const [t, dh] of [
            [40, 4],
            [80, 16],
          ] as const) {
            const qkv = rnd([2, t, 3 * 2 * dh], 40 + t, -2, 2);
            const f = (x: tf.Tensor) => fusedAttention(x as tf.Tensor3D, 2, { dropout: 0.2, seed: 99 });
            out.push(f(qkv), tf.grad((x: tf.Tensor) => tf.sum(tf.square(f(x))))(qkv));
          }
          return out;
        });
      setNativeThreads(1);
      const one = await run();
      setNativeThreads(2);
      const two = await run();
      setNativeThreads(threads);
      for (const [i, v] of one.entries()) expect(two[i], `output ${i}`).toEqual(v);
    });

    it('a Gpt training step with dropout 0.1 runs the fused kernel, finite loss, no leaks', async () => {
      await tf.setBackend(NATIVE_BACKEND);
      const model = Gpt.create(gptConfig('2_4_32', { vocabSize: 13, nPositions: 24, dropout: 0.1 }), {
        seed: 3,
      });
      const tokens = tf.tensor2d(
        Int32Array.from(randomValues(2 * 24, 50, 0, 13), Math.floor),
        [2, 24],
        'int32',
      );
      const lossMask = tf.onesLike(tokens) as tf.Tensor2D;
      const vars = [...model.params.values()];
      const step = () => {
        const { value, grads } = tf.variableGrads(
          () => model.loss(tokens, lossMask, { training: true }),
          vars,
        );
        const loss = value.dataSync()[0]!;
        tf.dispose([value, ...Object.values(grads)]);
        return loss;
      };
      step(); // warm-up: any lazily created state
      const before = tf.memory().numTensors;
      let loss = Number.NaN;
      const profile = await tf.profile(() => {
        loss = step();
      });
      expect(Number.isFinite(loss)).toBe(true);
      expect(profile.kernelNames).toContain(FUSED_KERNELS.attention);
      expect(profile.kernelNames).toContain(FUSED_KERNELS.attentionGrad);
      expect(profile.kernelNames).not.toContain('Softmax'); // no composite attention
      step();
      expect(tf.memory().numTensors).toBe(before);
      // dropout is on: two training steps with different dropout seeds differ, the same seed repeats
      const lossWith = (dropoutSeed: number) =>
        tf.tidy(() => model.loss(tokens, lossMask, { training: true, dropoutSeed }).dataSync()[0]!);
      expect(lossWith(1)).toBe(lossWith(1));
      expect(lossWith(1)).not.toBe(lossWith(2));
      tf.dispose([tokens, lossMask]);
      model.dispose();
    });
  },
);
