import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticDataset } from './diagnostic-data.js';
import { type ForwardModel, evaluateDiagnostic } from './diagnostic-eval.js';
import { DiagnosticScorer } from './scoring.js';
import { additionTask, haystackTask, sortTask } from './tasks/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A model that predicts the true next token with logit `c` (others 0), except where `wrong` says. */
function oracle(
  vocab: number,
  nPositions: number,
  c: number,
  wrong: (row: Int32Array, i: number) => boolean,
): ForwardModel {
  return {
    config: { vocabSize: vocab, nPositions },
    forward(tokens: tf.Tensor2D): tf.Tensor3D {
      const [B, T] = tokens.shape;
      const data = tokens.dataSync() as Int32Array;
      const logits = new Float32Array(B * T * vocab);
      for (let b = 0; b < B; b++) {
        const row = data.subarray(b * T, b * T + T);
        for (let i = 0; i + 1 < T; i++) {
          const target = row[i + 1] as number;
          const guess = wrong(row, i + 1) ? (target + 1) % vocab : target;
          logits[(b * T + i) * vocab + guess] = c;
        }
      }
      return tf.tensor3d(logits, [B, T, vocab]);
    },
  };
}

describe('DiagnosticDataset', () => {
  it('is deterministic and resumes from its cursor', async () => {
    const a = DiagnosticDataset.create({ task: 'haystack', seed: 7, testSize: 50 });
    const b = DiagnosticDataset.create({ task: 'haystack', seed: 7, testSize: 50 });
    const c = DiagnosticDataset.create({ task: 'haystack', seed: 8, testSize: 50 });
    expect(a.test.map((s) => s.tokens.join())).toEqual(b.test.map((s) => s.tokens.join()));
    expect(a.test[0]?.tokens.join()).not.toBe(c.test[0]?.tokens.join());
    const src = a.trainSource();
    const it1 = src.batches({ batch: 4, length: 70 })[Symbol.asyncIterator]();
    const first = (await it1.next()).value;
    const second = (await it1.next()).value;
    expect(first.tokens.length).toBe(4 * 70);
    expect(first.tokens[63]).toBe(0); // padding
    expect(first.loss.subarray(63, 70).every((x: number) => x === 0)).toBe(true);
    const resumed = (
      await src.batches({ batch: 4, length: 70, cursor: first.cursor })[Symbol.asyncIterator]().next()
    ).value;
    expect(Array.from(resumed.tokens)).toEqual(Array.from(second.tokens));
    expect(src.describe()).toMatchObject({
      kind: 'diagnostic',
      task: 'haystack',
      split: 'train',
      vocabSize: 256,
    });
  });

  it('with a stream seed, keeps one training stream across run seeds (the paper harness)', () => {
    const a = DiagnosticDataset.create({ task: 'haystack', seed: 0, streamSeed: 42, testSize: 20 });
    const b = DiagnosticDataset.create({ task: 'haystack', seed: 1, streamSeed: 42, testSize: 20 });
    const plain = DiagnosticDataset.create({ task: 'haystack', seed: 1, testSize: 20 });
    expect(a.test[0]?.tokens.join()).not.toBe(b.test[0]?.tokens.join());
    expect(a.candidate(3).tokens.join()).toBe(b.candidate(3).tokens.join());
    expect(plain.candidate(3).tokens.join()).not.toBe(b.candidate(3).tokens.join());
    expect(a.trainSource().describe()).toMatchObject({ seed: 0, streamSeed: 42 });
    expect(plain.trainSource().describe()).not.toHaveProperty('streamSeed');
    expect(() => DiagnosticDataset.create({ task: 'haystack', seed: 0, streamSeed: -1 })).toThrow(
      /streamSeed must be a non-negative integer/,
    );
  });

  it('skips training examples identical to a test example', () => {
    // A 1-digit addition has only 81 distinct examples: the test set covers most of them.
    const ds = DiagnosticDataset.create({ task: additionTask(1), seed: 1, testSize: 60 });
    const distinct = new Set(ds.test.map((s) => s.tokens.join()));
    let index = 0;
    for (let k = 0; k < 200; k++) {
      const { sample, next } = ds.nextTraining(index);
      expect(distinct.has(sample.tokens.join())).toBe(false);
      expect(next).toBeGreaterThan(index);
      index = next;
    }
    expect(index).toBeGreaterThan(200); // some candidates were skipped
  });

  it('covers the test set in one pass and rejects short lengths', async () => {
    const ds = DiagnosticDataset.create({ task: 'sort_3_5', seed: 0, testSize: 10 });
    const rows: number[] = [];
    for await (const b of ds.testSource().batches({ batch: 4, length: 7 })) rows.push(b.batch);
    expect(rows).toEqual([4, 4, 2]);
    await expect(
      ds.testSource().batches({ batch: 4, length: 5 })[Symbol.asyncIterator]().next(),
    ).rejects.toThrow(/shorter than/);
    await expect(
      ds
        .trainSource()
        .batches({ batch: 1, length: 7, cursor: { index: -1 } })
        [Symbol.asyncIterator]()
        .next(),
    ).rejects.toThrow(/no valid index/);
  });
});

describe('DiagnosticScorer (hand-computed, quirks)', () => {
  const task = additionTask();
  // 12345 + 67890 = 80235, STOP at 17, PAD at 18.
  const tokens = Int32Array.from([1, 2, 3, 4, 5, 10, 6, 7, 8, 9, 0, 11, 28, 20, 22, 23, 25, 30, 12]);
  const truth = (skip: number[]) => {
    const p = new Int32Array(19);
    for (let i = 0; i < 18; i++) p[i] = skip.includes(i + 1) ? 0 : (tokens[i + 1] as number);
    return p;
  };

  it('a wrong first answer digit is invisible to the paper metric but fails exact match', () => {
    const s = new DiagnosticScorer(task);
    s.add(tokens, truth([12]));
    expect(s.result()).toMatchObject({
      accuracy: 1,
      scored: 6,
      correct: 6,
      exactMatch: 0,
      answerTokenAccuracy: 5 / 6,
    });
  });

  it('a wrong PAD after STOP costs paper accuracy but not exact match', () => {
    const s = new DiagnosticScorer(task);
    s.add(tokens, truth([18]));
    expect(s.result()).toMatchObject({ accuracy: 5 / 6, exactMatch: 1, answerTokenAccuracy: 1, loss: null });
  });

  it('pools accuracy over positions (not examples)', () => {
    const s = new DiagnosticScorer(task);
    s.add(tokens, truth([13, 14, 15]));
    s.add(tokens, truth([]));
    expect(s.result().accuracy).toBeCloseTo(9 / 12, 12);
    expect(s.result().exactMatch).toBe(0.5);
  });
});

describe('evaluateDiagnostic', () => {
  it('matches hand-computed accuracy, exact match and loss through a model', async () => {
    const ds = DiagnosticDataset.create({ task: haystackTask(), seed: 3, testSize: 20 });
    const c = 4;
    const V = 256;
    // Wrong on the answer of every example whose first value is odd.
    const model = oracle(
      V,
      100,
      c,
      (row, i) => row[i - 1] !== undefined && (row[i - 1] as number) >= 158 && (row[1] as number) % 2 === 1,
    );
    const odd = ds.test.filter((s) => (s.tokens[1] as number) % 2 === 1).length;
    const before = tf.memory().numTensors;
    const score = await evaluateDiagnostic(model, ds, { batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);
    expect(score.examples).toBe(20);
    expect(score.accuracy).toBeCloseTo((20 - odd) / 20, 12);
    expect(score.exactMatch).toBeCloseTo((20 - odd) / 20, 12);
    const logZ = Math.log(Math.exp(c) + V - 1);
    const expected = ((20 - odd) * (logZ - c) + odd * logZ) / 20;
    expect(score.loss).toBeCloseTo(expected, 4);
  });

  it('refuses a model that cannot read the task', async () => {
    const ds = DiagnosticDataset.create({ task: sortTask(), seed: 0, testSize: 2 });
    await expect(
      evaluateDiagnostic(
        oracle(50, 40, 1, () => false),
        ds,
      ),
    ).rejects.toThrow(/cannot read sort/);
  });
});
