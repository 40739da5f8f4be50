import { gptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from './backends.js';
import { benchTrain, trainingFlopsPerToken } from './bench.js';

describe('trainingFlopsPerToken', () => {
  it('is 6·(matmul weights incl. the tied LM head) + 12·L·d·T for GPT-2 small', () => {
    const c = gptConfig('12_12_768', { vocabSize: 50257, nPositions: 1024 });
    // 124,439,808 parameters minus the 1024·768 position table
    expect(trainingFlopsPerToken(c, 1024)).toBe(6 * (124_439_808 - 1024 * 768) + 12 * 12 * 768 * 1024);
  });
  it('does not count an untied input embedding (a lookup) but does count the head', () => {
    const tied = gptConfig('1_2_16', { vocabSize: 10, nPositions: 8 });
    const untied = { ...tied, tied: false };
    expect(trainingFlopsPerToken(untied, 8)).toBe(trainingFlopsPerToken(tied, 8));
  });
});

describe('benchTrain', () => {
  it('reports a finite loss and rate, and skips the bare step when asked', async () => {
    await selectBackend('cpu');
    const before = tf.memory().numTensors;
    const r = await benchTrain({
      size: '1_2_16',
      vocab: 8,
      context: 8,
      batch: 2,
      steps: 1,
      warmup: 0,
      backend: 'cpu',
      peakFlops: 1e9,
      bare: false,
    });
    expect(r.backend).toBe('cpu');
    expect(r.tokensPerSecond).toBeGreaterThan(0);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.bareMsPerStep).toBeNaN();
    expect(r.peakSource).toBe('given');
    expect(r.flopsPerToken).toBe(
      trainingFlopsPerToken(gptConfig('1_2_16', { vocabSize: 8, nPositions: 8 }), 8),
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});
