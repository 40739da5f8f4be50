import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fixture from './fixtures/adamw.json' with { type: 'json' };
import { AdamW, type FusedOptimizer, globalNormClip } from './adamw.js';
import { fusedOptimizerFor, listBackends, selectBackend } from './backends.js';
import { decays } from './param-groups.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

let made = 0;
function makeParams(): Map<string, tf.Variable> {
  made++;
  const params = new Map<string, tf.Variable>();
  for (const [name, spec] of Object.entries(fixture.init)) {
    params.set(name, tf.variable(tf.tensor(spec.values, spec.shape), true, `p${made}:${name}`));
  }
  return params;
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol);
}

describe('AdamW', () => {
  it('matches torch.optim.AdamW with clipping and no-decay groups for 3 steps', async () => {
    const params = makeParams();
    const names = [...params.keys()];
    const opt = new AdamW(params, names, {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: fixture.weightDecay,
      noDecay: ['bias', 'ln'],
    });
    expect(opt.decayedNames()).toEqual(['transformer.h.0.mlp.c_fc.weight']);
    const x = tf.tensor2d(fixture.x);
    const y = tf.tensor2d(fixture.y);
    const before = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      const { value, grads: byVar } = tf.variableGrads(
        () => {
          const w = params.get('transformer.h.0.mlp.c_fc.weight')!;
          const b = params.get('transformer.h.0.mlp.c_fc.bias')!;
          const g = params.get('transformer.h.0.ln_1.weight')!;
          const out = tf.mul(tf.add(tf.matMul(x, w), b), g);
          return tf.mul(tf.mean(tf.square(tf.sub(out, y))), 10) as tf.Scalar;
        },
        names.map((n) => params.get(n)!),
      );
      const grads = Object.fromEntries(names.map((n) => [n, byVar[`p${made}:${n}`]!]));
      const { norm, scale } = globalNormClip(grads, fixture.maxNorm);
      expect((await value.data())[0]).toBeCloseTo(fixture.losses[s]!, 4);
      expect((await norm.data())[0]).toBeCloseTo(fixture.gradNorms[s]!, 3);
      opt.applyGradients(grads, fixture.lrs[s]!, scale);
      tf.dispose([value, norm, scale, ...Object.values(byVar)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    for (const name of names) {
      expectClose(await params.get(name)!.data(), fixture.final[name as keyof typeof fixture.final], 2e-6);
      const state = opt.stateTensors();
      expectClose(
        await state[`optimizer.exp_avg.${name}`]!.data(),
        fixture.expAvg[name as keyof typeof fixture.expAvg],
        1e-5,
      );
      expectClose(
        await state[`optimizer.exp_avg_sq.${name}`]!.data(),
        fixture.expAvgSq[name as keyof typeof fixture.expAvgSq],
        1e-3,
      );
    }
    tf.dispose([x, y]);
    opt.dispose();
  });

  it('keys moments by name: state loads into an optimizer built in another order', async () => {
    const params = makeParams();
    const names = [...params.keys()];
    const a = new AdamW(params, names);
    const grads = Object.fromEntries(names.map((n) => [n, tf.onesLike(params.get(n)!)]));
    a.applyGradients(grads, 1e-3);
    const b = new AdamW(params, [...names].reverse());
    b.loadState(a.stateTensors(), a.t);
    for (const n of names) {
      const sa = await a.stateTensors()[`optimizer.exp_avg_sq.${n}`]!.data();
      const sb = await b.stateTensors()[`optimizer.exp_avg_sq.${n}`]!.data();
      expect([...sb]).toEqual([...sa]);
    }
    expect(b.t).toBe(1);
    expect(() => b.loadState({}, 1)).toThrow(/lacks optimizer.exp_avg/);
    tf.dispose(Object.values(grads));
    a.dispose();
    b.dispose();
  });

  it('leaves untrained (frozen) parameters untouched', async () => {
    const params = makeParams();
    const frozen = 'transformer.h.0.ln_1.weight';
    const before = await params.get(frozen)!.data();
    const trained = [...params.keys()].filter((n) => n !== frozen);
    const opt = new AdamW(params, trained, {
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.5,
      noDecay: [],
    });
    const grads = Object.fromEntries(trained.map((n) => [n, tf.onesLike(params.get(n)!)]));
    opt.applyGradients(grads, 0.1);
    expect([...(await params.get(frozen)!.data())]).toEqual([...before]);
    tf.dispose(Object.values(grads));
    opt.dispose();
  });
});

describe('decay groups', () => {
  it('classifies GPT-2 names', () => {
    expect(decays('transformer.h.0.attn.c_attn.bias', ['bias'])).toBe(false);
    expect(decays('transformer.h.0.ln_2.weight', ['bias'])).toBe(true);
    expect(decays('transformer.h.0.ln_2.weight', ['ln'])).toBe(false);
    expect(decays('transformer.wte.weight', ['bias', 'ln'])).toBe(true);
    expect(decays('transformer.wpe.weight', ['embed'])).toBe(false);
    expect(decays('lm_head.weight', ['embed'])).toBe(false);
    expect(decays('transformer.h.1.mlp.c_proj.weight', ['bias', 'ln', 'embed'])).toBe(true);
  });
});

/** Deterministic values in [-scale, scale) (LCG; tests never use Math.random). */
function lcg(n: number, seed: number, scale: number): Float32Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x >>> 8) / 16777216 - 0.5) * 2 * scale;
  });
}

/** Largest |a − b| / (|b| + rms(b)): relative error with the tensor's own scale as the floor near 0. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ss = 0;
  for (let i = 0; i < b.length; i++) ss += b[i]! * b[i]!;
  const rms = Math.sqrt(ss / b.length) || 1e-30;
  let worst = a.length === b.length ? 0 : Number.POSITIVE_INFINITY;
  for (let i = 0; i < b.length; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + rms));
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

const ADAMW = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };
const SHAPES: Record<string, number[]> = {
  'transformer.h.0.mlp.c_fc.weight': [96, 384],
  'transformer.h.0.mlp.c_fc.bias': [384],
  'transformer.h.0.ln_1.weight': [96],
  'transformer.wte.weight': [211, 96],
};

/**
 * Three clipped AdamW steps (clip 0.05: every step clips) on the active backend, with its fused optimizer if
 * given; weights, moments, norms.
 */
async function clippedSteps(fused?: FusedOptimizer): Promise<{
  values: Record<string, Float32Array>;
  norms: number[];
  leaked: number;
}> {
  const names = Object.keys(SHAPES);
  const params = new Map(
    names.map((n, i) => [
      n,
      tf.variable(
        tf.tensor(
          lcg(
            SHAPES[n]!.reduce((a, b) => a * b),
            i + 1,
            0.5,
          ),
          SHAPES[n],
        ),
      ),
    ]),
  );
  const opt = new AdamW(params, names, { ...ADAMW, weightDecay: 0.1, noDecay: ['bias', 'ln'] }, fused);
  const norms: number[] = [];
  const before = tf.memory().numTensors;
  for (let step = 0; step < 3; step++) {
    const grads = Object.fromEntries(
      names.map((n, i) => [
        n,
        tf.tensor(lcg(params.get(n)!.size, 100 * step + i + 7, 0.02 * (i + 1)), SHAPES[n]),
      ]),
    );
    const { norm, scale } = globalNormClip(grads, 0.05, fused);
    norms.push((await norm.data())[0]!);
    expect((await scale.data())[0]).toBeLessThan(1);
    opt.applyGradients(grads, 1e-2, scale);
    tf.dispose([norm, scale, ...Object.values(grads)]);
  }
  const leaked = tf.memory().numTensors - before;
  const values: Record<string, Float32Array> = {};
  for (const [k, t] of Object.entries(opt.stateTensors())) values[k] = Float32Array.from(await t.data());
  for (const n of names) values[n] = Float32Array.from(await params.get(n)!.data());
  opt.dispose();
  tf.dispose([...params.values()]);
  return { values, norms, leaked };
}
const native = (await listBackends()).find((r) => r.name === 'procpt-native');
describe.skipIf(native?.status !== 'available')(
  `AdamW + clipping on procpt-native${native?.status === 'available' ? '' : ` (skipped: ${native?.reason})`}`,
  () => {
    afterAll(async () => {
      await selectBackend('cpu');
    });

    it('native norm and in-pass clip factor match the cpu tfjs path (weights and moments within 1e-5)', async () => {
      await selectBackend('cpu');
      const ref = await clippedSteps();
      const got = await clippedSteps(await fusedOptimizerFor(await selectBackend('procpt-native')));
      expect(got.leaked).toBe(0);
      expect(ref.leaked).toBe(0);
      for (let s = 0; s < 3; s++)
        expect(Math.abs(got.norms[s]! - ref.norms[s]!) / ref.norms[s]!).toBeLessThan(1e-6);
      for (const [k, want] of Object.entries(ref.values))
        expect(relError(got.values[k]!, want), k).toBeLessThan(1e-5);
    });

    it('runs no tfjs kernel for the norm or the clipped update, and keeps a NaN norm NaN', async () => {
      const fused = await fusedOptimizerFor(await selectBackend('procpt-native'));
      const p = tf.variable(tf.tensor(lcg(5000, 3, 1)));
      const opt = new AdamW(new Map([['w', p]]), ['w'], undefined, fused);
      const g = tf.tensor(lcg(5000, 4, 1));
      const info = await tf.profile(() => {
        const { norm, scale } = globalNormClip({ w: g }, 0.1, fused);
        opt.applyGradients({ w: g }, 1e-3, scale);
        tf.dispose([norm, scale]);
      });
      expect(info.kernels.map((k) => k.name)).toEqual([]);
      const bad = tf.tensor(Float32Array.from(lcg(5000, 5, 1), (x, i) => (i === 4999 ? Number.NaN : x)));
      const { norm, scale } = globalNormClip({ w: bad }, 1, fused);
      expect((await norm.data())[0]).toBeNaN();
      expect((await scale.data())[0]).toBeNaN();
      tf.dispose([p, g, bad, norm, scale]);
      opt.dispose();
    });
  },
);
