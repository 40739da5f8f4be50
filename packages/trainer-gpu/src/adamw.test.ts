import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import fixture from './fixtures/adamw.json' with { type: 'json' };
import { AdamW, globalNormClip } from './adamw.js';
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
