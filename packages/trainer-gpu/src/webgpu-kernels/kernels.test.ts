import { registerNativeBackend } from '@procpt/backend-native';
import {
  biasGelu,
  fusedAttention,
  hasFusedKernel,
  layerNorm,
  maskedCrossEntropy,
  maskedCrossEntropyStats,
} from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS, AdamW, globalNormClip } from '../adamw.js';
import { selectBackend } from '../backends.js';
import { FUSED_KERNELS, OPTIMIZER_KERNELS } from '@procpt/model/kernel-spec';
import { initWebGpuRuntime } from '../webgpu.js';
import { dropKept, dropoutUniforms, mix64 } from './wgsl.js';
import { setCrossEntropyBudget } from './cross-entropy.js';
import {
  registerWebGpuFusedKernels,
  unregisterWebGpuFusedKernels,
  WEBGPU_FUSED_KERNEL_NAMES,
} from './index.js';

// Each WGSL kernel against the cpu backend's composite implementation of the same op (@procpt/model's fused
// ops fall back to standard tfjs ops where no fused kernel is registered): forward values and the gradients
// of Σ y·r for a fixed random r, as max |Δ| / max |reference| per tensor. Both sides are float32 with
// different summation orders (tree reductions, online-softmax rescaling, chunked sums) and their own exp/log/
// tanh, so a few float32 ulps of the largest term, grown with the reduction length (≤ 10³ here), are expected.
// Measured on lavapipe: ≤ 6e-7 forward, ≤ 3e-6 for gradients (LayerNorm's dx at D = 3, where the row sums
// cancel). The bounds leave about 30× headroom for GPU drivers (WGSL lets exp/log be a few ulps off and
// contract a·b + c into an FMA) while still failing any indexing or masking error, which shows as O(1).
const FWD_TOL = 2e-5;
const GRAD_TOL = 1e-4;

/** Deterministic uniform values in [lo, hi) (32-bit LCG). */
function values(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 16777216) * (hi - lo);
  });
}

/** max |a − b| / max |b|. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!(e <= num)) num = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
    den = Math.max(den, Math.abs(b[i]!));
  }
  return den === 0 ? num : num / den;
}

interface Case {
  /** Input shapes and value ranges; the op; the inputs it is differentiated by. */
  inputs: Array<{ shape: number[]; lo?: number; hi?: number; dtype?: 'int32'; max?: number }>;
  op: (xs: tf.Tensor[]) => tf.Tensor;
  grad: number[];
}

/** Value and gradients of `c` on `backend`: y, then d(Σ y·r)/d inputs[grad[k]]. */
async function evaluate(backend: string, c: Case): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = c.inputs.map((s, i) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.dtype === 'int32')
      return tf.tensor(
        Int32Array.from(values(n, 100 + i, 0, 1), (v) => Math.floor(v * s.max!)),
        s.shape,
        'int32',
      );
    return tf.tensor(values(n, 100 + i, s.lo ?? -1, s.hi ?? 1), s.shape);
  });
  const y = tf.tidy(() => c.op(xs));
  const r = tf.tensor(values(y.size, 7), y.shape);
  const grads = tf.grads((...ins: tf.Tensor[]) => {
    const all = [...xs];
    c.grad.forEach((k, j) => {
      all[k] = ins[j]!;
    });
    return tf.sum(tf.mul(c.op(all), r));
  })(c.grad.map((k) => xs[k]!));
  const out = [(await y.data()) as Float32Array];
  for (const g of grads) out.push((await g.data()) as Float32Array);
  tf.dispose([...xs, y, r, ...grads]);
  return out;
}

async function compare(c: Case, names: string[]): Promise<number[]> {
  const ref = await evaluate('cpu', c);
  await tf.setBackend('webgpu');
  for (const k of names) expect(hasFusedKernel(k), `${k} registered on webgpu`).toBe(true);
  const before = tf.memory().numTensors;
  const got = await evaluate('webgpu', c);
  expect(tf.memory().numTensors).toBe(before);
  const errs = got.map((g, i) => maxRel(g, ref[i]!));
  expect(errs[0]!, 'forward').toBeLessThan(FWD_TOL);
  for (let i = 1; i < errs.length; i++) expect(errs[i]!, `gradient ${i - 1}`).toBeLessThan(GRAD_TOL);
  return errs;
}

describe('procpt-native dropout hash in 32-bit halves', () => {
  it('derives the key, threshold and keep scale as procpt-native does', () => {
    // splitmix64 of 0 (a published value): 0xe220a8397b1dcdaf
    expect(mix64(0x9e3779b97f4a7c15n)).toBe(0xe220a8397b1dcdafn);
    const u = dropoutUniforms(0.1, 7);
    expect(u.threshold).toBe(Math.floor(Math.fround(0.1) * 2 ** 32 + 0.5));
    expect(u.invKeep).toBe(Math.fround(1 / Math.fround(1 - Math.fround(0.1))));
    let kept = 0;
    for (let i = 0; i < 20000; i++) kept += dropKept(0.25, 3, i) ? 1 : 0;
    expect(kept / 20000).toBeCloseTo(0.75, 1);
  });
});

const why = await initWebGpuRuntime().then(
  () => '',
  (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e)),
);

describe.skipIf(why !== '')(
  `fused WGSL kernels vs the cpu composite${why ? ` (skipped: ${why})` : ''}`,
  () => {
    afterAll(async () => {
      await selectBackend('cpu');
    });

    it('registers every fused and optimizer kernel under procpt-native’s names', async () => {
      await selectBackend('webgpu');
      for (const k of [...Object.values(FUSED_KERNELS), ...Object.values(OPTIMIZER_KERNELS)])
        expect(WEBGPU_FUSED_KERNEL_NAMES).toContain(k);
      unregisterWebGpuFusedKernels();
      expect(hasFusedKernel(FUSED_KERNELS.attention)).toBe(false);
      registerWebGpuFusedKernels();
      expect(hasFusedKernel(FUSED_KERNELS.attention)).toBe(true);
    });

    // head sizes of the haystack (4), 2_4_128 (32) and GPT-2 small (64); T across tile boundaries
    for (const [b, t, h, dh] of [
      [3, 37, 4, 4],
      [2, 70, 2, 32],
      [1, 66, 2, 64],
    ] as const) {
      it(`attention B=${b} T=${t} H=${h} dh=${dh}: forward and dqkv`, async () => {
        await selectBackend('webgpu');
        await compare(
          {
            inputs: [{ shape: [b, t, 3 * h * dh], lo: -2, hi: 2 }],
            op: ([qkv]) => fusedAttention(qkv as tf.Tensor3D, h),
            grad: [0],
          },
          [FUSED_KERNELS.attention, FUSED_KERNELS.attentionGrad],
        );
      });
    }

    it('attention never allocates [B, H, T, T]: its saved state is O and the row log-sum-exps', async () => {
      await selectBackend('webgpu');
      const [b, t, h, dh] = [1, 1024, 2, 4];
      const manager = (
        tf.backend() as unknown as { bufferManager: { acquireBuffer: (size: number) => unknown } }
      ).bufferManager;
      const acquire = manager.acquireBuffer;
      /** The largest GPU buffer requested by forward + backward of the attention op. */
      const largest = async () => {
        let max = 0;
        manager.acquireBuffer = function (this: unknown, size: number, ...rest: unknown[]) {
          max = Math.max(max, size);
          return (acquire as (...a: unknown[]) => unknown).call(this, size, ...rest);
        } as typeof acquire;
        try {
          const g = tf.tidy(() => {
            const qkv = tf.tensor(values(b * t * 3 * h * dh, 3), [b, t, 3 * h * dh]);
            const r = tf.tensor(values(b * t * h * dh, 4), [b, t, h * dh]);
            return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(fusedAttention(x as tf.Tensor3D, h), r)))(qkv);
          });
          await g.data();
          g.dispose();
        } finally {
          manager.acquireBuffer = acquire;
        }
        return max;
      };
      const probs = b * h * t * t * 4; // 8 MiB
      expect(await largest()).toBeLessThan(probs / 16);
      unregisterWebGpuFusedKernels(); // the composite ops, as a control: they do materialise the scores
      try {
        expect(await largest()).toBeGreaterThanOrEqual(probs);
      } finally {
        registerWebGpuFusedKernels();
      }
      const qkv = tf.tensor(values(b * t * 3 * h * dh, 3), [b, t, 3 * h * dh]);
      const [y, state] = tf.engine().runKernel(FUSED_KERNELS.attention, { qkv }, { nHead: h }) as tf.Tensor[];
      expect(y!.shape).toEqual([b, t, h * dh]);
      expect(state!.shape).toEqual([b * t * h * dh + b * h * t]);
      tf.dispose([qkv, y!, state!]);
    });

    it('attention dropout draws procpt-native’s masks: the same outputs and gradients for the same seed', async () => {
      const native = registerNativeBackend();
      const [b, t, h, dh] = [2, 45, 2, 8];
      const c: Case = {
        inputs: [{ shape: [b, t, 3 * h * dh], lo: -2, hi: 2 }],
        op: ([qkv]) => fusedAttention(qkv as tf.Tensor3D, h, { dropout: 0.3, seed: 1234567 }),
        grad: [0],
      };
      await selectBackend('webgpu');
      const got = await evaluate('webgpu', c);
      // dropped probabilities show as outputs that differ from the dropout-free attention
      const plain = await evaluate('webgpu', { ...c, op: ([qkv]) => fusedAttention(qkv as tf.Tensor3D, h) });
      expect(maxRel(got[0]!, plain[0]!)).toBeGreaterThan(0.01);
      if (!native.available) return; // procpt-native did not build here: the hash is still checked above
      const ref = await evaluate('procpt-native', c);
      expect(maxRel(got[0]!, ref[0]!)).toBeLessThan(FWD_TOL);
      expect(maxRel(got[1]!, ref[1]!)).toBeLessThan(GRAD_TOL);
    });

    for (const [rows, dim] of [
      [63, 16],
      [9, 768],
      [5, 3],
    ] as const) {
      it(`LayerNorm [${rows}, ${dim}]: forward, dx, dgamma, dbeta`, async () => {
        await selectBackend('webgpu');
        await compare(
          {
            inputs: [
              { shape: [rows, dim], lo: -3, hi: 3 },
              { shape: [dim], lo: 0.5, hi: 1.5 },
              { shape: [dim] },
            ],
            op: ([x, g, bt]) => layerNorm(x!, g as tf.Tensor1D, bt as tf.Tensor1D, 1e-5),
            grad: [0, 1, 2],
          },
          [FUSED_KERNELS.layerNorm, FUSED_KERNELS.layerNormGrad],
        );
      });
    }

    it('LayerNorm over 300 rows: the column gradients add several 128-row chunks', async () => {
      await selectBackend('webgpu');
      await compare(
        {
          inputs: [
            { shape: [3, 100, 24], lo: -3, hi: 3 },
            { shape: [24], lo: 0.5, hi: 1.5 },
            { shape: [24] },
          ],
          op: ([x, g, bt]) => layerNorm(x!, g as tf.Tensor1D, bt as tf.Tensor1D, 1e-5),
          grad: [0, 1, 2],
        },
        [FUSED_KERNELS.layerNorm],
      );
    });

    for (const [rows, dim] of [
      [63, 64],
      [300, 12],
    ] as const) {
      it(`bias + GELU [${rows}, ${dim}]: forward, dx, dbias`, async () => {
        await selectBackend('webgpu');
        await compare(
          {
            // wide enough for both tanh branches (|x| < 0.04 and large)
            inputs: [{ shape: [rows, dim], lo: -6, hi: 6 }, { shape: [dim] }],
            op: ([x, bias]) => biasGelu(x!, bias as tf.Tensor1D),
            grad: [0, 1],
          },
          [FUSED_KERNELS.biasGelu, FUSED_KERNELS.biasGeluGrad],
        );
      });
    }

    for (const [n, d, vocab] of [
      [40, 16, 256],
      [7, 8, 5000],
    ] as const) {
      it(`masked cross-entropy N=${n} d=${d} V=${vocab}: loss sum, dh, dW, hits`, async () => {
        await selectBackend('webgpu');
        const weights = (ws: tf.Tensor) => tf.cast(tf.greater(ws, 0.3), 'float32') as tf.Tensor1D;
        const c: Case = {
          inputs: [
            { shape: [n, d], lo: -2, hi: 2 },
            { shape: [vocab, d], lo: -2, hi: 2 },
            { shape: [n], dtype: 'int32', max: vocab },
            { shape: [n] },
          ],
          op: ([h, w, tg, ws]) =>
            maskedCrossEntropy(h as tf.Tensor2D, w as tf.Tensor2D, tg as tf.Tensor1D, weights(ws!)),
          grad: [0, 1],
        };
        await compare(c, [FUSED_KERNELS.maskedCrossEntropy]);
        // hits: make some targets the argmax (target = argmax of h·Wᵀ on cpu)
        const stats = async (backend: string) => {
          await tf.setBackend(backend);
          const h = tf.tensor(values(n * d, 11, -2, 2), [n, d]) as tf.Tensor2D;
          const w = tf.tensor(values(vocab * d, 12, -2, 2), [vocab, d]) as tf.Tensor2D;
          const best = tf.argMax(tf.matMul(h, w, false, true), 1);
          const tg = tf.where(
            tf.greater(tf.tensor(values(n, 13)), 0),
            best,
            tf.zerosLike(best),
          ) as tf.Tensor1D;
          const ws = tf.tensor(values(n, 14, 0, 2)) as tf.Tensor1D;
          const s = maskedCrossEntropyStats(h, w, tg, ws);
          const out = [(await s.lossSum.data())[0]!, (await s.correct.data())[0]!];
          tf.dispose([h, w, best, tg, ws, s.lossSum, s.correct]);
          return out;
        };
        const [refLoss, refHits] = await stats('cpu');
        const [loss, hits] = await stats('webgpu');
        expect(Math.abs(loss! - refLoss!) / refLoss!).toBeLessThan(FWD_TOL);
        expect(hits).toBeCloseTo(refHits!, 4);
        expect(refHits).toBeGreaterThan(0);
      });
    }

    it('cross-entropy in several row chunks (logits over the chunk budget) and with no scored row', async () => {
      await selectBackend('webgpu');
      // a 32 KiB budget: V = 1000 gives 8 rows per chunk, so 50 rows take 7 chunks
      const saved = setCrossEntropyBudget(32 * 1024);
      try {
        await compare(
          {
            inputs: [
              { shape: [50, 8], lo: -2, hi: 2 },
              { shape: [1000, 8], lo: -2, hi: 2 },
              { shape: [50], dtype: 'int32', max: 1000 },
              { shape: [50], lo: 0, hi: 1 },
            ],
            op: ([h, w, tg, ws]) =>
              maskedCrossEntropy(h as tf.Tensor2D, w as tf.Tensor2D, tg as tf.Tensor1D, ws as tf.Tensor1D),
            grad: [0, 1],
          },
          [FUSED_KERNELS.maskedCrossEntropy],
        );
      } finally {
        setCrossEntropyBudget(saved);
      }
      const zero = tf.tidy(() =>
        maskedCrossEntropy(
          tf.ones([4, 3]),
          tf.ones([6, 3]),
          tf.tensor1d([1, 2, 3, 4], 'int32'),
          tf.zeros([4]),
        ),
      );
      expect((await zero.data())[0]).toBe(0);
      zero.dispose();
    });

    it('global norm, clip factor and AdamW (3 steps) as the composite ops compute them', async () => {
      // 10 gradients: two sum-of-squares dispatches; [70, 90] needs 4 partial sums per gradient, the rest 1
      const shapes = [[5, 7], [300], [3, 4, 5], [1], [9], [2, 2], [13], [6], [70, 90], [11, 3]];
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        const params = new Map(
          shapes.map((s, i) => [
            `p${i}`,
            tf.tidy(() =>
              tf.variable(
                tf.tensor(
                  values(
                    s.reduce((a, b) => a * b, 1),
                    20 + i,
                  ),
                  s,
                ),
              ),
            ),
          ]),
        );
        const opt = new AdamW(params, [...params.keys()], {
          ...ADAMW_DEFAULTS,
          weightDecay: 0.1,
          noDecay: [],
        });
        const norms: number[] = [];
        for (let step = 0; step < 3; step++) {
          const grads = Object.fromEntries(
            [...params].map(([name, p], i) => [
              name,
              tf.tensor(values(p.size, 40 + 10 * step + i, -3, 3), p.shape),
            ]),
          );
          const { norm, scale } = globalNormClip(grads, 1);
          norms.push((await norm.data())[0]!, (await scale.data())[0]!);
          opt.applyGradients(grads, 1e-2, scale);
          tf.dispose([...Object.values(grads), norm, scale]);
        }
        const ones = tf.ones([3]);
        const unclipped = globalNormClip({ a: ones }, null);
        norms.push((await unclipped.scale.data())[0]!);
        tf.dispose([ones, unclipped.norm, unclipped.scale]);
        const out = await Promise.all(
          [...params.values()].map(async (p) => (await p.data()) as Float32Array),
        );
        const moments = await Promise.all(
          Object.values(opt.stateTensors()).map(async (t) => (await t.data()) as Float32Array),
        );
        opt.dispose();
        for (const p of params.values()) p.dispose();
        return { norms, out, moments };
      };
      const ref = await run('cpu');
      await selectBackend('webgpu');
      expect(tf.getKernel(OPTIMIZER_KERNELS.adamw, 'webgpu')).toBeDefined();
      const before = tf.memory().numTensors;
      const got = await run('webgpu');
      expect(tf.memory().numTensors).toBe(before);
      expect(maxRel(got.norms, ref.norms)).toBeLessThan(FWD_TOL);
      expect(got.norms.at(-1)).toBe(1);
      for (const [i, p] of got.out.entries())
        expect(maxRel(p, ref.out[i]!), `param ${i}`).toBeLessThan(FWD_TOL);
      for (const [i, m] of got.moments.entries())
        expect(maxRel(m, ref.moments[i]!), `moment ${i}`).toBeLessThan(FWD_TOL);
    });
  },
);
