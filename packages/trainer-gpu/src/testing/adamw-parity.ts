// Test helper (not part of the package API): replays the PyTorch parity fixture's AdamW steps on the
// current backend, checking each step's loss, and returns the largest weight difference from torch's.
import { Gpt, type GptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { type ParityFixture, parityWeights } from '../../../../scripts/test-support/parity-fixture.js';
import { AdamW, type FusedOptimizer } from '../adamw.js';
import { computeGradients } from '../step.js';

type Case = ParityFixture<GptConfig>['cases'][number];

/**
 * Runs `fixture.adamwConfig.steps` AdamW steps of case `c` (with the backend's fused optimizer, if given); the max
 * |weight − torch's weight| after them.
 */
export async function adamwParityWorst(
  c: Case,
  adamwConfig: ParityFixture<GptConfig>['adamwConfig'],
  fused?: FusedOptimizer,
): Promise<number> {
  const model = Gpt.fromWeights({ ...c.config, dropout: 0 }, parityWeights(c));
  const names = [...model.params.keys()];
  const { lr, beta1, beta2, eps, weightDecay, steps } = adamwConfig;
  const opt = new AdamW(model.params, names, { beta1, beta2, eps, weightDecay, noDecay: [] }, fused);
  try {
    const batch = {
      tokens: Int32Array.from(c.tokens.flat()),
      loss: Uint8Array.from(c.lossMask.flat()),
      batch: c.tokens.length,
      length: c.tokens[0]!.length,
    };
    for (let s = 0; s < steps; s++) {
      const g = computeGradients(model, [batch], names, {
        maxNorm: null,
        dropoutSeeds: [0],
        training: false,
        fusedOptimizer: fused,
      });
      expect((await g.loss.data())[0]).toBeCloseTo(c.adamw.losses[s]!, 5);
      opt.applyGradients(g.grads, lr, g.scale);
      tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
    }
    let worst = 0;
    for (const [name, w] of Object.entries(c.adamw.weights)) {
      const got = await model.param(name).data();
      for (let i = 0; i < w.data.length; i++) worst = Math.max(worst, Math.abs(got[i]! - w.data[i]!));
    }
    return worst;
  } finally {
    opt.dispose();
    model.dispose();
  }
}
