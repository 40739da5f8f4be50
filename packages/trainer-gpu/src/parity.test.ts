import { Gpt, type GptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParityFixture, parityWeights } from '../../../scripts/test-support/parity-fixture.js';
import { AdamW } from './adamw.js';
import { listBackends, selectBackend } from './backends.js';
import { computeGradients } from './step.js';

// The model's PyTorch fixture (torch.optim.AdamW on a real GPT-2, 3 steps).
const fixture = loadParityFixture<GptConfig>();

const native = await listBackends().then((rows) => rows.find((r) => r.name === 'procpt-native'));
const backends = [
  ['cpu', ''],
  ['procpt-native', native?.status === 'available' ? '' : `skipped: ${native?.reason ?? 'not listed'}`],
] as const;

describe.each(backends)('AdamW on GPT-2 vs the PyTorch fixture on %s %s', (backend, skip) => {
  beforeAll(async () => {
    if (!skip) await selectBackend(backend);
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });
  for (const c of fixture.cases) {
    it.skipIf(skip !== '')(`${c.name}: 3 AdamW steps match torch`, async () => {
      const weights = parityWeights(c);
      const model = Gpt.fromWeights({ ...c.config, dropout: 0 }, weights);
      const names = [...model.params.keys()];
      const { lr, beta1, beta2, eps, weightDecay, steps } = fixture.adamwConfig;
      const opt = new AdamW(model.params, names, { beta1, beta2, eps, weightDecay, noDecay: [] });
      const b = c.tokens.length;
      const t = c.tokens[0]!.length;
      const batch = {
        tokens: Int32Array.from(c.tokens.flat()),
        loss: Uint8Array.from(c.lossMask.flat()),
        batch: b,
        length: t,
      };
      for (let s = 0; s < steps; s++) {
        const g = computeGradients(model, [batch], names, {
          maxNorm: null,
          dropoutSeeds: [0],
          training: false,
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
      expect(worst).toBeLessThan(2e-6);
      opt.dispose();
      model.dispose();
    });
  }
});
