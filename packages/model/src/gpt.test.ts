import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { flopsPerToken, gptConfig, MODEL_PRESETS, parameterCount } from './config.js';
import { Gpt } from './gpt.js';
import { installWasmKernels } from '../../../scripts/test-support/stock-patches.js';
import { parameterGroup, parameterSpecs } from './names.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tiny = gptConfig('2_4_16', { vocabSize: 11, nPositions: 12, dropout: 0 });

function tokens(b: number, t: number, seed = 1): tf.Tensor2D {
  const data = Array.from({ length: b * t }, (_, i) => (i * 7 + seed * 3) % 11);
  return tf.tensor2d(data, [b, t], 'int32');
}

describe('config', () => {
  it('counts GPT-2 small parameters like HF (124,439,808)', () => {
    const c = gptConfig('12_12_768', { vocabSize: 50257, nPositions: 1024 });
    expect(parameterCount(c)).toBe(124_439_808);
    expect(flopsPerToken(c, 1024)).toBe(6 * 124_439_808 + 12 * 12 * 768 * 1024);
  });
  it('matches the sum of parameter shapes, tied and untied', () => {
    for (const tied of [true, false]) {
      const c = { ...tiny, tied };
      const total = parameterSpecs(c).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
      expect(parameterCount(c)).toBe(total);
    }
  });
  it('has the paper presets and rejects bad sizes', () => {
    expect(MODEL_PRESETS['24_16_2048']).toEqual({ nLayer: 24, nHead: 16, dModel: 2048 });
    expect(gptConfig('3_2_8', { vocabSize: 5, nPositions: 4 }).nLayer).toBe(3);
    expect(() => gptConfig('big', { vocabSize: 5, nPositions: 4 })).toThrow(/unknown model size/);
    expect(() => gptConfig('2_3_16', { vocabSize: 5, nPositions: 4 })).toThrow(/not divisible/);
  });
  it('groups parameters like the paper', () => {
    expect(parameterGroup('transformer.h.0.attn.c_attn.weight')).toBe('attn');
    expect(parameterGroup('transformer.h.3.mlp.c_proj.bias')).toBe('ffn');
    expect(parameterGroup('transformer.ln_f.weight')).toBe('ln');
    expect(parameterGroup('lm_head.weight')).toBe('embed');
    expect(() => parameterGroup('transformer.h.0.attn.bias')).toThrow(/not a GPT-2 parameter/);
  });
});

describe('Gpt', () => {
  it('differentiates when the loss runs inside an outer tidy (as a trainer does)', () => {
    const model = Gpt.create(tiny, { seed: 2 });
    const x = tokens(2, 6);
    const mask = tf.onesLike(x);
    const norms = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => model.loss(x, mask), [...model.params.values()]);
      return Object.values(grads).map((g) => tf.norm(g).dataSync()[0]!);
    });
    expect(norms.length).toBe(model.params.size);
    expect(norms.every((n) => Number.isFinite(n))).toBe(true);
    expect(norms.some((n) => n > 0)).toBe(true);
    tf.dispose([x, mask]);
    model.dispose();
  });

  it('is deterministic per seed and uses the HF init', async () => {
    const a = Gpt.create(tiny, { seed: 3 });
    const b = Gpt.create(tiny, { seed: 3 });
    const c = Gpt.create(tiny, { seed: 4 });
    const w = (m: Gpt, n: string) => m.param(n).dataSync();
    expect(w(a, 'transformer.wte.weight')).toEqual(w(b, 'transformer.wte.weight'));
    expect(w(a, 'transformer.wte.weight')).not.toEqual(w(c, 'transformer.wte.weight'));
    expect([...w(a, 'transformer.h.0.ln_1.weight')].every((x) => x === 1)).toBe(true);
    expect([...w(a, 'transformer.h.0.attn.c_attn.bias')].every((x) => x === 0)).toBe(true);
    const std = (x: Float32Array | Int32Array | Uint8Array) =>
      Math.sqrt([...x].reduce((s, v) => s + v * v, 0) / x.length);
    const big = Gpt.create(gptConfig('4_4_64', { vocabSize: 8, nPositions: 8 }), { seed: 1 });
    expect(std(w(big, 'transformer.h.0.mlp.c_fc.weight'))).toBeCloseTo(0.02, 3);
    expect(std(w(big, 'transformer.h.0.mlp.c_proj.weight'))).toBeCloseTo(0.02 / Math.sqrt(8), 3);
    for (const m of [a, b, c, big]) m.dispose();
  });

  it('returns logits [B, T, V] and is causal', async () => {
    const m = Gpt.create(tiny, { seed: 1 });
    const x = tokens(2, 7);
    const logits = m.forward(x);
    expect(logits.shape).toEqual([2, 7, 11]);
    const changed = x.bufferSync();
    changed.set((changed.get(1, 5) + 1) % 11, 1, 5);
    const x2 = changed.toTensor() as tf.Tensor2D;
    const logits2 = m.forward(x2);
    const a = (await logits.array()) as number[][][];
    const b = (await logits2.array()) as number[][][];
    expect(b[0]).toEqual(a[0]); // other row untouched
    for (let t = 0; t < 5; t++) expect(b[1]![t]).toEqual(a[1]![t]); // earlier positions untouched
    expect(b[1]![5]).not.toEqual(a[1]![5]);
    tf.dispose([x, x2, logits, logits2]);
    m.dispose();
  });

  it('computes the masked mean CE of shifted targets, equal to a plain log-softmax', async () => {
    const m = Gpt.create({ ...tiny, tied: false }, { seed: 2 });
    const x = tokens(3, 9);
    const maskData = Array.from({ length: 27 }, (_, i) => (i % 4 === 0 ? 0 : 1));
    const mask = tf.tensor2d(maskData, [3, 9], 'int32');
    const loss = (await m.loss(x, mask).data())[0]!;
    const logp = (await tf.logSoftmax(m.forward(x)).array()) as number[][][];
    const ids = (await x.array()) as number[][];
    let sum = 0;
    let count = 0;
    for (let b = 0; b < 3; b++) {
      for (let t = 1; t < 9; t++) {
        if (maskData[b * 9 + t] === 0) continue;
        sum -= logp[b]![t - 1]![ids[b]![t]!]!;
        count++;
      }
    }
    expect(loss).toBeCloseTo(sum / count, 5);
    const ev = await m.evaluate(x, mask);
    expect(ev.count).toBe(count);
    expect(ev.lossSum / ev.count).toBeCloseTo(sum / count, 5);
    tf.dispose([x, mask]);
    m.dispose();
  });

  it('chunked loss and gradients equal the unchunked ones', () => {
    const m = Gpt.create(tiny, { seed: 5 });
    const x = tokens(2, 10);
    const mask = tf.onesLike(x);
    const run = (chunkRows: number) =>
      tf.variableGrads(() => m.loss(x, mask, { chunkRows }), [...m.params.values()]);
    const a = run(1_000_000);
    const b = run(4);
    expect(b.value.dataSync()[0]).toBeCloseTo(a.value.dataSync()[0]!, 6);
    for (const name of Object.keys(a.grads)) {
      const ga = a.grads[name]!.dataSync();
      const gb = b.grads[name]!.dataSync();
      for (let i = 0; i < ga.length; i++) expect(gb[i]).toBeCloseTo(ga[i]!, 6);
    }
    tf.dispose([x, mask, a.value, b.value, ...Object.values(a.grads), ...Object.values(b.grads)]);
    m.dispose();
  });

  it('ignores padding: a fully masked batch has loss 0, extra padded rows change nothing', async () => {
    const m = Gpt.create(tiny, { seed: 6 });
    const x = tokens(1, 6);
    const zero = tf.zerosLike(x);
    expect((await m.loss(x, zero).data())[0]).toBe(0);
    const ones = tf.onesLike(x);
    const padded = tf.concat([x, tf.zerosLike(x)], 0) as tf.Tensor2D;
    const padMask = tf.concat([ones, zero], 0) as tf.Tensor2D;
    const l1 = (await m.loss(x, ones).data())[0]!;
    const l2 = (await m.loss(padded, padMask).data())[0]!;
    expect(l2).toBeCloseTo(l1, 6);
    tf.dispose([x, zero, ones, padded, padMask]);
    m.dispose();
  });

  it('generates greedily, matching argmax of forward', async () => {
    const m = Gpt.create(tiny, { seed: 7 });
    const prompt = tokens(2, 3);
    const out = await m.generate(prompt, 4);
    expect(out.length).toBe(8);
    const seq = [...((await prompt.array()) as number[][])[0]!, ...out.slice(0, 4)];
    const full = tf.tensor2d(seq, [1, 7], 'int32');
    const logits = (await m.forward(full).array()) as number[][][];
    for (let s = 0; s < 4; s++) {
      const row = logits[0]![2 + s]!;
      expect(out[s]).toBe(row.indexOf(Math.max(...row)));
    }
    tf.dispose([prompt, full]);
    m.dispose();
  });

  it('applies dropout only in training, deterministically per seed', async () => {
    const m = Gpt.create({ ...tiny, dropout: 0.5 }, { seed: 8 });
    const x = tokens(1, 5);
    const eval1 = await m.forward(x).data();
    const eval2 = await m.forward(x).data();
    expect(eval1).toEqual(eval2);
    const t1 = await m.forward(x, { training: true, dropoutSeed: 9 }).data();
    const t2 = await m.forward(x, { training: true, dropoutSeed: 9 }).data();
    const t3 = await m.forward(x, { training: true, dropoutSeed: 10 }).data();
    expect(t1).toEqual(t2);
    expect(t1).not.toEqual(t3);
    expect(t1).not.toEqual(eval1);
    x.dispose();
    m.dispose();
  });

  it('does not leak tensors over a forward+backward loop', () => {
    const m = Gpt.create({ ...tiny, dropout: 0.1 }, { seed: 9 });
    const vars = [...m.params.values()];
    const counts: number[] = [];
    for (let step = 1; step <= 20; step++) {
      tf.tidy(() => {
        const x = tokens(2, 8, step);
        const { value, grads } = tf.variableGrads(
          () => m.loss(x, tf.onesLike(x), { training: true, chunkRows: 5 }),
          vars,
        );
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 1e-3)));
        return value;
      }).dispose();
      counts.push(tf.memory().numTensors);
    }
    expect(counts[19]).toBe(counts[0]);
    m.dispose();
  });

  it('trains at the GPT-2 vocabulary with the default chunking (several chunks), on wasm', async () => {
    await tf.setBackend('wasm');
    installWasmKernels();
    const m = Gpt.create(gptConfig('1_2_16', { vocabSize: 50257, nPositions: 64, dropout: 0 }), { seed: 1 });
    const x = tf.tensor2d(
      Array.from({ length: 2 * 64 }, (_, i) => (i * 7919) % 50257),
      [2, 64],
      'int32',
    );
    const { value, grads } = tf.variableGrads(() => m.loss(x, tf.onesLike(x)), [...m.params.values()]);
    expect(value.dataSync()[0]).toBeCloseTo(Math.log(50257), 1);
    expect(grads[m.param('transformer.wte.weight').name]!.shape).toEqual([50257, 16]);
    tf.dispose([x, value, ...Object.values(grads)]);
    m.dispose();
    await tf.setBackend('cpu');
  });

  it('rejects contexts longer than nPositions and non-int tokens', () => {
    const m = Gpt.create(tiny);
    const long = tf.zeros([1, 13], 'int32') as tf.Tensor2D;
    expect(() => m.forward(long)).toThrow(/exceeds the model's nPositions 12/);
    const flt = tf.zeros([1, 3]) as tf.Tensor2D;
    expect(() => m.forward(flt)).toThrow(/int32/);
    tf.dispose([long, flt]);
    m.dispose();
  });
});
