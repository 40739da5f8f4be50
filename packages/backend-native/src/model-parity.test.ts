import '@tensorflow/tfjs-backend-cpu';
import { Gpt, type GptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadParityFixture, parityWeights, relErr } from '../../../scripts/test-support/parity-fixture.js';
import { adamwUpdate, FUSED_KERNELS, NATIVE_BACKEND, registerNativeBackend } from './index.js';

// @procpt/model's PyTorch float64 reference (tools/parity): the real Gpt, running its fused-kernel path on
// procpt-native, must match it as the cpu and wasm paths do (model/src/parity.test.ts).
const fixture = loadParityFixture<GptConfig>();
type ParityCase = (typeof fixture.cases)[number];
const TOL = 1e-4;
const status = registerNativeBackend();

function load(c: ParityCase): Gpt {
  return Gpt.fromWeights(c.config, parityWeights(c), 'parity.json');
}

describe.skipIf(!status.available)(
  `PyTorch parity of @procpt/model's Gpt on procpt-native${status.available ? '' : ` (skipped: ${status.reason})`}`,
  () => {
    for (const c of fixture.cases) {
      it(`${c.name}: fused kernels run; logits, loss, gradients within ${TOL} relative`, async () => {
        await tf.setBackend(NATIVE_BACKEND);
        for (const k of Object.values(FUSED_KERNELS))
          expect(tf.getKernel(k, NATIVE_BACKEND), k).toBeDefined();
        const before = tf.memory().numTensors;
        const model = load(c);
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

      it(`${c.name}: ${fixture.adamwConfig.steps} in-place native AdamW steps track torch.optim.AdamW`, async () => {
        await tf.setBackend(NATIVE_BACKEND);
        const cfg = fixture.adamwConfig;
        const model = load(c);
        const vars = [...model.params.values()];
        // m and v start as one shared zero tensor (as an optimizer may create them): adamwUpdate must still work in place
        const moments = vars.map((v) => {
          const zeros = tf.zerosLike(v);
          const pair = [tf.variable(zeros), tf.variable(zeros)] as const;
          zeros.dispose();
          return pair;
        });
        const tokens = tf.tensor2d(c.tokens, undefined, 'int32');
        const mask = tf.tensor2d(c.lossMask, undefined, 'int32');
        const storage = vars.map((v) => v.dataId);
        for (let t = 1; t <= cfg.steps; t++) {
          const { value, grads } = tf.variableGrads(() => model.loss(tokens, mask), vars);
          expect(Math.abs((await value.data())[0]! - c.adamw.losses[t - 1]!)).toBeLessThan(TOL * c.loss);
          for (const [i, v] of vars.entries()) {
            const [m, s] = moments[i]!;
            adamwUpdate(v, grads[v.name]!, m, s, { ...cfg, step: t });
          }
          tf.dispose([value, ...Object.values(grads)]);
        }
        // the native pass updated the parameters in place (the tfjs fallback would assign new storage)
        expect(vars.every((v, i) => v.dataId === storage[i])).toBe(true);
        // Same allowance as model/src/parity.test.ts: Adam turns float32 noise on exactly-zero gradients
        // (the key bias) into steps of up to lr·|g|/(|g|+eps).
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
        tf.dispose([tokens, mask, ...moments.flat()]);
        model.dispose();
      });
    }
  },
);
