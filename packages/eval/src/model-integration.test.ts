import '@tensorflow/tfjs-backend-cpu';
import { Gpt, gptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticDataset } from './diagnostic-data.js';
import { type ForwardModel, evaluateDiagnostic } from './diagnostic-eval.js';
import { type EvaluateModel, validationLoss } from './semantic.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('with a real @procpt/model Gpt', () => {
  it('diagnostic loss agrees with Gpt.evaluate on the paper mask', async () => {
    const ds = DiagnosticDataset.create({ task: 'addition', seed: 5, testSize: 24 });
    const gpt = Gpt.create(gptConfig('2_4_16', { vocabSize: 31, nPositions: 40, tied: false, dropout: 0 }), {
      seed: 1,
    });
    const asForward: ForwardModel = gpt;
    const asEvaluate: EvaluateModel = gpt;
    try {
      const before = tf.memory().numTensors;
      const score = await evaluateDiagnostic(asForward, ds, { batchSize: 10 });
      expect(tf.memory().numTensors).toBe(before);
      const T = ds.task.length;
      const tokens = tf.tensor2d(
        Int32Array.from(ds.test.flatMap((s) => Array.from(s.tokens))),
        [24, T],
        'int32',
      );
      const mask = tf.tensor2d(
        Float32Array.from(ds.test.flatMap((s) => Array.from(s.loss))),
        [24, T],
        'float32',
      );
      const ref = await gpt.evaluate(tokens, mask);
      tokens.dispose();
      mask.dispose();
      expect(score.scored).toBe(ref.count);
      expect(score.correct).toBe(ref.correct);
      expect(score.loss).toBeCloseTo(ref.lossSum / ref.count, 4);
      // An untrained model is near chance on 31 tokens.
      expect(score.loss).toBeGreaterThan(2.5);
      const v = await validationLoss(
        asEvaluate,
        Array.from({ length: 100 }, (_, i) => i % 31),
        { length: 40 },
      );
      expect(v.tokens).toBe(39 + 39 + 19);
      expect(v.perplexity).toBeCloseTo(Math.exp(v.loss), 9);
    } finally {
      gpt.dispose();
    }
  });
});
