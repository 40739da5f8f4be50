import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ForwardModel } from './diagnostic-eval.js';
import { type MathProblem, mathAccuracy, packProblems } from './dmmath.js';
import { type EvaluateModel, validationLoss } from './semantic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('validationLoss', () => {
  it('windows the stream, skips the first token of each window, weights by tokens', async () => {
    const calls: number[][] = [];
    // Fake evaluate: each scored token costs its own id (so the expected loss is easy to compute by hand).
    const model: EvaluateModel = {
      config: { nPositions: 4 },
      async evaluate(tokens, mask) {
        const t = tokens.dataSync();
        const m = mask.dataSync();
        calls.push(tokens.shape);
        let lossSum = 0;
        let count = 0;
        t.forEach((x, i) => {
          if (m[i]) {
            lossSum += x;
            count++;
          }
        });
        return { lossSum, count, correct: count };
      },
    };
    const before = tf.memory().numTensors;
    const out = await validationLoss(model, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { batch: 8 });
    expect(tf.memory().numTensors).toBe(before);
    // Windows [1..4], [5..8], [9,10]: scored 2,3,4,6,7,8,10.
    expect(calls).toEqual([
      [2, 4],
      [1, 2],
    ]);
    expect(out.tokens).toBe(7);
    expect(out.windows).toBe(3);
    expect(out.loss).toBeCloseTo(40 / 7, 12);
    expect(out.perplexity).toBeCloseTo(Math.exp(40 / 7), 6);
    await expect(validationLoss(model, [1])).rejects.toThrow(/at least 2/);
    await expect(validationLoss(model, [1, 2], { length: 9 })).rejects.toThrow(/window length/);
  });
});

describe('mathAccuracy', () => {
  const BOS = 96;
  const SEP = 97;
  const V = 99;
  const problem = (module: string, q: number[], a: number[]): MathProblem => ({
    module,
    tokens: Int32Array.from([BOS, ...q, SEP, ...a]),
    loss: Uint8Array.from([0, ...q.map(() => 0), 0, ...a.map(() => 1)]),
  });

  it('packs greedily without splitting problems', () => {
    const ps = [problem('a', [1, 2], [3]), problem('a', [1], [2, 3]), problem('b', [1, 2, 3], [4])];
    const rows = packProblems(ps, 10);
    expect(rows.map((r) => r.map((p) => p.offset))).toEqual([[0, 5], [0]]);
    expect(() => packProblems([problem('a', [1, 2, 3, 4, 5, 6, 7, 8], [1])], 9)).toThrow(
      /more than the row length/,
    );
  });

  it('scores problems with the paper quirk (last answer character unchecked) and strictly', async () => {
    // Oracle that is wrong on answer token 42 wherever it appears.
    const model: ForwardModel = {
      config: { vocabSize: V, nPositions: 16 },
      forward(tokens) {
        const [B, T] = tokens.shape;
        const d = tokens.dataSync();
        const logits = new Float32Array(B * T * V);
        for (let i = 0; i < B * T; i++) {
          if ((i + 1) % T === 0) continue;
          const next = d[i + 1] as number;
          logits[i * V + (next === 42 ? 0 : next)] = 5;
        }
        return tf.tensor3d(logits, [B, T, V]);
      },
    };
    const ps = [
      problem('alg', [1, 2], [3, 42]), // last char wrong: paper right, strict wrong
      problem('alg', [1], [42, 3]), // first char wrong: both wrong
      problem('num', [5], [42]), // single wrong char: both wrong
      problem('num', [5, 6], [7, 8]), // right
    ];
    const out = await mathAccuracy(model, ps, { length: 12, padId: 95, batch: 1 });
    expect(out.problems).toBe(4);
    expect(out.problemAccuracy).toBeCloseTo(2 / 4, 12);
    expect(out.exactMatch).toBeCloseTo(1 / 4, 12);
    expect(out.tokenAccuracy).toBeCloseTo(4 / 7, 12);
    expect(out.byModule).toEqual({
      alg: { problems: 2, problemAccuracy: 0.5, exactMatch: 0 },
      num: { problems: 2, problemAccuracy: 0.5, exactMatch: 0.5 },
    });
    const logZ = Math.log(Math.exp(5) + V - 1);
    expect(out.loss).toBeCloseTo((4 * (logZ - 5) + 3 * logZ) / 7, 4);
  });
});
