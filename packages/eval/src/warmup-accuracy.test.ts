import '@tensorflow/tfjs-backend-cpu';
import type { Sample } from '@procpt/core';
import { createGenerator, stream } from '@procpt/procgen';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ForwardModel } from './diagnostic-eval.js';
import { warmupAccuracy, warmupMetric, warmupScoredTargets } from './warmup-accuracy.js';

/** A model whose argmax at each position is `predict(prefix)`: lets the test control exact answers. */
function ruleModel(
  vocabSize: number,
  nPositions: number,
  predict: (prefix: number[]) => number,
): ForwardModel {
  return {
    config: { vocabSize, nPositions },
    forward(tokens: tf.Tensor2D): tf.Tensor3D {
      const [B, T] = tokens.shape;
      const ids = tokens.arraySync();
      const logits = new Float32Array(B * T * vocabSize);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const row = ids[b] as number[];
          logits[(b * T + t) * vocabSize + predict(row.slice(0, t + 1))] = 1;
        }
      }
      return tf.tensor3d(logits, [B, T, vocabSize]);
    },
  };
}

// Oracle for Dyck: close the innermost open bracket; if none is open, guess opener 0.
function dyckOracle(k: number) {
  return (prefix: number[]): number => {
    const stack: number[] = [];
    for (const t of prefix) {
      if (t < k) stack.push(t);
      else stack.pop();
    }
    const top = stack[stack.length - 1];
    return top === undefined ? 0 : top + k;
  };
}

describe('warmupAccuracy', () => {
  const k = 4;
  let samples: Sample[];
  beforeAll(() => {
    samples = [...stream(createGenerator({ type: 'dyck', seed: 3, k, length: 32 }), { count: 10 })];
  });

  it('counts only closing-bracket targets for Dyck', () => {
    const sample = samples[0] as Sample;
    const scored = warmupScoredTargets(sample, { type: 'dyck', params: { k } });
    let closes = 0;
    for (let i = 1; i < sample.tokens.length; i++) if ((sample.tokens[i] as number) >= k) closes++;
    expect(scored.reduce((a, b) => a + b, 0)).toBe(closes);
    expect(scored[0]).toBe(0);
    expect(warmupMetric('dyck-shuffle')).toBe('closing-bracket');
    expect(warmupMetric('set')).toBe('masked-token');
  });

  it('is 1 for a stack oracle and 0 for a model that always opens', async () => {
    const oracle = await warmupAccuracy(ruleModel(2 * k + 1, 31, dyckOracle(k)), samples, {
      type: 'dyck',
      params: { k },
      batchSize: 3,
    });
    // every word is balanced with length 32: 16 closes per row
    expect(oracle).toEqual({ metric: 'closing-bracket', accuracy: 1, correct: 160, count: 160 });
    const opener = await warmupAccuracy(
      ruleModel(2 * k + 1, 32, () => 1),
      samples,
      { type: 'dyck', params: { k } },
    );
    expect(opener.accuracy).toBe(0);
    expect(opener.count).toBe(160);
  });

  it('uses the sample loss mask for other types and leaks no tensors', async () => {
    const rows = [
      ...stream(createGenerator({ type: 'identity', seed: 1, vocabSize: 10, length: 6 }), { count: 4 }),
    ];
    // copy oracle: at position L + j (prefix length L + j + 1) the target is x[j], L + 1 tokens back
    const copy = (prefix: number[]) => prefix[prefix.length - 7] ?? 0;
    const before = tf.memory().numTensors;
    const r = await warmupAccuracy(ruleModel(12, 12, copy), rows, { type: 'identity' });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.metric).toBe('masked-token');
    expect(r.count).toBe(rows.reduce((n, s) => n + s.loss.reduce((a, b) => a + b, 0), 0));
    expect(r.accuracy).toBe(1);
  });

  it('rejects a Dyck type without k and rows longer than the context', async () => {
    const model = ruleModel(2 * k + 1, 16, () => 0);
    await expect(warmupAccuracy(model, samples, { type: 'dyck' })).rejects.toThrow(/params.k/);
    await expect(warmupAccuracy(model, samples, { type: 'dyck', params: { k } })).rejects.toThrow(
      /need 31 positions, the model has 16/,
    );
  });
});
