import { Gpt, type GptConfig, hasFusedKernel } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadParityFixture, parityWeights, relErr } from '../../../../scripts/test-support/parity-fixture.js';
import { AdamW } from '../adamw.js';
import { selectBackend } from '../backends.js';
import { FUSED_KERNELS, OPTIMIZER_KERNELS } from '@procpt/model/kernel-spec';
import { computeGradients } from '../step.js';
import { initWebGpuRuntime } from '../webgpu.js';

// @procpt/model's PyTorch float64 reference (tools/parity) with every fused WGSL kernel active: the Gpt's
// fused attention/LayerNorm/GELU/cross-entropy path on webgpu must match it as procpt-native's C++ kernels do
// (backend-native/src/model-parity.test.ts, same tolerance: 1e-4 relative, float32 against float64), and
// trainer-gpu's AdamW, running the ProcptAdamW and ProcptGradNormClip kernels, must track torch.optim.AdamW.
const fixture = loadParityFixture<GptConfig>();
const TOL = 1e-4;

const why = await initWebGpuRuntime().then(
  () => '',
  (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e)),
);

describe.skipIf(why !== '')(
  `PyTorch parity of the Gpt with the fused WGSL kernels${why ? ` (skipped: ${why})` : ''}`,
  () => {
    afterAll(async () => {
      await selectBackend('cpu');
    });

    for (const c of fixture.cases) {
      it(`${c.name}: fused kernels run; logits, loss, gradients, evaluation within ${TOL} relative`, async () => {
        await selectBackend('webgpu');
        for (const k of [...Object.values(FUSED_KERNELS), ...Object.values(OPTIMIZER_KERNELS)])
          expect(hasFusedKernel(k), k).toBe(true);
        const before = tf.memory().numTensors;
        const model = Gpt.fromWeights(c.config, parityWeights(c), 'parity.json');
        const tokens = tf.tensor2d(c.tokens, undefined, 'int32');
        const mask = tf.tensor2d(c.lossMask, undefined, 'int32');
        const logits = model.forward(tokens);
        expect(relErr(await logits.data(), c.logits.data)).toBeLessThan(TOL);
        const vars = [...model.params.values()];
        const { value, grads } = tf.variableGrads(() => model.loss(tokens, mask), vars);
        expect(Math.abs((await value.data())[0]! - c.loss) / c.loss).toBeLessThan(TOL);
        for (const [i, name] of [...model.params.keys()].entries()) {
          const e = relErr(await grads[vars[i]!.name]!.data(), c.grads[name]!.data);
          expect(e, `gradient of ${name}`).toBeLessThan(TOL);
        }
        const ev = await model.evaluate(tokens, mask);
        expect(Math.abs(ev.lossSum / ev.count - c.loss) / c.loss).toBeLessThan(TOL);
        tf.dispose([tokens, mask, logits, value, ...Object.values(grads)]);
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });

      it(`${c.name}: gradient norm and ${fixture.adamwConfig.steps} AdamW steps (WGSL kernels) track PyTorch`, async () => {
        await selectBackend('webgpu');
        const cfg = fixture.adamwConfig;
        const model = Gpt.fromWeights({ ...c.config, dropout: 0 }, parityWeights(c));
        const names = [...model.params.keys()];
        const opt = new AdamW(model.params, names, {
          beta1: cfg.beta1,
          beta2: cfg.beta2,
          eps: cfg.eps,
          weightDecay: cfg.weightDecay,
          noDecay: [],
        });
        const batch = {
          tokens: Int32Array.from(c.tokens.flat()),
          loss: Uint8Array.from(c.lossMask.flat()),
          batch: c.tokens.length,
          length: c.tokens[0]!.length,
        };
        const before = tf.memory().numTensors;
        for (let s = 0; s < cfg.steps; s++) {
          const g = computeGradients(model, [batch], names, {
            maxNorm: null,
            dropoutSeeds: [0],
            training: false,
          });
          expect(Math.abs((await g.loss.data())[0]! - c.adamw.losses[s]!)).toBeLessThan(TOL * c.loss);
          if (s === 0)
            expect(Math.abs((await g.norm.data())[0]! - c.gradNorm) / c.gradNorm).toBeLessThan(TOL);
          opt.applyGradients(g.grads, cfg.lr, g.scale);
          tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
        }
        expect(tf.memory().numTensors).toBe(before);
        // As model/src/parity.test.ts: Adam turns float32 noise on exactly-zero gradients (the key bias) into
        // steps of up to lr·|g|/(|g|+eps), so each weight gets TOL·max|w| plus 5% of the steps' largest move.
        for (const [n, v] of model.params) {
          const want = c.adamw.weights[n]!.data;
          const got = await v.data();
          let maxAbs = 0;
          let err = 0;
          for (let j = 0; j < want.length; j++) {
            maxAbs = Math.max(maxAbs, Math.abs(want[j]!));
            err = Math.max(err, Math.abs(got[j]! - want[j]!));
          }
          expect(err, `weights of ${n} after ${cfg.steps} steps`).toBeLessThan(
            TOL * maxAbs + cfg.steps * cfg.lr * 0.05,
          );
        }
        opt.dispose();
        model.dispose();
      });
    }
  },
);
