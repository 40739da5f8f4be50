import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gptConfig } from './config.js';
import { Gpt } from './gpt.js';
import { assemble, trainableNames, transfer } from './transfer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const src = gptConfig('2_4_16', { vocabSize: 7, nPositions: 10 });
const dst = gptConfig('2_4_16', { vocabSize: 13, nPositions: 8, tied: false });

const values = (m: Gpt, n: string) => Array.from(m.param(n).dataSync());

describe('transfer', () => {
  it("'everything' + average: blocks and ln_f copied, wte/lm_head = mean source row, wpe prefix copied", () => {
    const a = Gpt.create(src, { seed: 1 });
    const b = Gpt.create(dst, { seed: 2 });
    transfer(a, b, { parts: ['everything'], embeddingInit: 'average' });
    for (const name of a.params.keys()) {
      if (name.includes('wte') || name.includes('wpe')) continue;
      expect(values(b, name)).toEqual(values(a, name));
    }
    const wte = a.param('transformer.wte.weight').arraySync() as number[][];
    const mean = wte[0]!.map((_, j) => wte.reduce((s, r) => s + r[j]!, 0) / wte.length);
    for (const name of ['transformer.wte.weight', 'lm_head.weight']) {
      const rows = b.param(name).arraySync() as number[][];
      expect(rows.length).toBe(13);
      for (const row of rows) {
        row.forEach((x, j) => {
          expect(x).toBeCloseTo(mean[j]!, 6);
        });
      }
    }
    expect(values(b, 'transformer.wpe.weight')).toEqual(values(a, 'transformer.wpe.weight').slice(0, 8 * 16));
    a.dispose();
    b.dispose();
  });

  it('keeps the random wpe when the source context is shorter (paper rule)', () => {
    const a = Gpt.create(gptConfig('2_4_16', { vocabSize: 7, nPositions: 4 }), { seed: 1 });
    const b = Gpt.create(dst, { seed: 2 });
    const before = values(b, 'transformer.wpe.weight');
    transfer(a, b, { parts: ['everything'], embeddingInit: 'average' });
    expect(values(b, 'transformer.wpe.weight')).toEqual(before);
    a.dispose();
    b.dispose();
  });

  it("partial parts copy only their groups; 'random' leaves embeddings alone", () => {
    const a = Gpt.create(src, { seed: 1 });
    const b = Gpt.create(dst, { seed: 2 });
    const fresh = Gpt.create(dst, { seed: 2 });
    transfer(a, b, { parts: ['attn'], embeddingInit: 'random' });
    for (const name of b.params.keys()) {
      const copied = /attn\.c_(attn|proj)/.test(name);
      expect(values(b, name)).toEqual(copied ? values(a, name) : values(fresh, name));
    }
    transfer(a, b, { parts: ['ln'], embeddingInit: 'random' });
    expect(values(b, 'transformer.ln_f.bias')).toEqual(values(a, 'transformer.ln_f.bias'));
    expect(values(b, 'transformer.h.0.mlp.c_fc.weight')).toEqual(
      values(fresh, 'transformer.h.0.mlp.c_fc.weight'),
    );
    for (const m of [a, b, fresh]) m.dispose();
  });

  it("'retain' copies wte into wte and lm_head and needs equal vocabularies", () => {
    const a = Gpt.create(src, { seed: 1 });
    const b = Gpt.create({ ...src, tied: false }, { seed: 3 });
    transfer(a, b, { parts: ['ffn'], embeddingInit: 'retain' });
    expect(values(b, 'lm_head.weight')).toEqual(values(a, 'transformer.wte.weight'));
    const c = Gpt.create(dst, { seed: 3 });
    expect(() => transfer(a, c, { parts: ['ffn'], embeddingInit: 'retain' })).toThrow(/equal vocabularies/);
    for (const m of [a, b, c]) m.dispose();
  });

  it('lists every shape mismatch in one error and leaves the target untouched', () => {
    const a = Gpt.create(gptConfig('1_4_32', { vocabSize: 7, nPositions: 8 }), { seed: 1 });
    const b = Gpt.create(dst, { seed: 2 });
    const before = values(b, 'transformer.h.0.attn.c_attn.bias');
    let message = '';
    try {
      transfer(a, b, { parts: ['attn'], embeddingInit: 'average' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/mismatch\(es\)/);
    expect(message).toContain('transformer.h.0.attn.c_attn.weight: source [32,96] vs target [16,48]');
    expect(message).toContain('transformer.h.1.attn.c_proj.bias: absent in the source (source has 1 layers)');
    expect(message).toContain('source dModel 32 vs target 16');
    expect(values(b, 'transformer.h.0.attn.c_attn.bias')).toEqual(before);
    a.dispose();
    b.dispose();
  });

  it('assembles a model from several sources by part', () => {
    const setModel = Gpt.create(src, { seed: 1 });
    const ecaModel = Gpt.create(src, { seed: 5 });
    const target = Gpt.create(dst, { seed: 2 });
    assemble({ attn: setModel, ffn: ecaModel, ln: setModel }, target);
    expect(values(target, 'transformer.h.1.attn.c_attn.weight')).toEqual(
      values(setModel, 'transformer.h.1.attn.c_attn.weight'),
    );
    expect(values(target, 'transformer.h.1.mlp.c_proj.weight')).toEqual(
      values(ecaModel, 'transformer.h.1.mlp.c_proj.weight'),
    );
    expect(() => assemble({}, target)).toThrow(/at least one/);
    for (const m of [setModel, ecaModel, target]) m.dispose();
  });
});

describe('trainableNames', () => {
  it('selects parameters by group in the fixed order', () => {
    const m = Gpt.create(dst);
    expect(trainableNames(m, 'all')).toEqual([...m.params.keys()]);
    expect(trainableNames(m, ['embed'])).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'lm_head.weight',
    ]);
    expect(trainableNames(m, ['attn'])).toHaveLength(8);
    expect(() => trainableNames(m, ['mlp' as 'ffn'])).toThrow(/unknown parameter group/);
    m.dispose();
  });
});
