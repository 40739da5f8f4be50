import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadParityFixture, parityWeights, relErr } from '../../../scripts/test-support/parity-fixture.js';
import type { GptConfig } from './config.js';
import { Gpt } from './gpt.js';
import { installWasmKernels } from '../../../scripts/test-support/stock-patches.js';

const fixture = loadParityFixture<GptConfig>();
type ParityCase = (typeof fixture.cases)[number];
const TOL = 1e-4;

function load(c: ParityCase): Gpt {
  return Gpt.fromWeights(c.config, parityWeights(c), 'parity.json');
}

/**
 * Reference decoupled AdamW (torch.optim.AdamW): p ← p·(1 − lr·wd); m, v moments with bias
 * correction; p ← p − lr·m̂/(√v̂ + eps). Functional over plain arrays so it cannot share bugs with
 * any optimizer under test.
 */
function adamwStep(
  p: Float64Array,
  g: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  t: number,
  cfg: (typeof fixture)['adamwConfig'],
): void {
  const bc1 = 1 - cfg.beta1 ** t;
  const bc2 = 1 - cfg.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] = p[i]! * (1 - cfg.lr * cfg.weightDecay);
    m[i] = cfg.beta1 * m[i]! + (1 - cfg.beta1) * g[i]!;
    v[i] = cfg.beta2 * v[i]! + (1 - cfg.beta2) * g[i]! * g[i]!;
    p[i] = p[i]! - (cfg.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + cfg.eps);
  }
}

const report: string[] = [];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`PyTorch parity on ${backend}`, () => {
    for (const c of fixture.cases) {
      it(`${c.name}: logits, loss and gradients within ${TOL} relative`, async () => {
        await tf.setBackend(backend);
        if (backend === 'wasm') installWasmKernels();
        const model = load(c);
        const tokens = tf.tensor2d(c.tokens, undefined, 'int32');
        const mask = tf.tensor2d(c.lossMask, undefined, 'int32');
        const logits = model.forward(tokens);
        const eLogits = relErr(await logits.data(), c.logits.data);
        const vars = [...model.params.values()];
        const { value, grads } = tf.variableGrads(() => model.loss(tokens, mask, { chunkRows: 5 }), vars);
        const eLoss = Math.abs((await value.data())[0]! - c.loss) / c.loss;
        let eGrad = 0;
        const names = [...model.params.keys()];
        for (const [i, name] of names.entries()) {
          const e = relErr(await grads[vars[i]!.name]!.data(), c.grads[name]!.data);
          expect(e, `gradient of ${name}`).toBeLessThan(TOL);
          eGrad = Math.max(eGrad, e);
        }
        expect(eLogits).toBeLessThan(TOL);
        expect(eLoss).toBeLessThan(TOL);
        report.push(
          `${backend} ${c.name}: logits ${eLogits.toExponential(2)} loss ${eLoss.toExponential(2)} grads ${eGrad.toExponential(2)}`,
        );
        tf.dispose([tokens, mask, logits, value, ...Object.values(grads)]);
        model.dispose();
      });

      it(`${c.name}: 3 AdamW steps track torch.optim.AdamW`, async () => {
        await tf.setBackend(backend);
        const cfg = fixture.adamwConfig;
        const model = load(c);
        const names = [...model.params.keys()];
        const vars = [...model.params.values()];
        const state = names.map((n) => {
          const p = Float64Array.from(c.weights[n]!.data);
          return { p, m: new Float64Array(p.length), v: new Float64Array(p.length) };
        });
        const tokens = tf.tensor2d(c.tokens, undefined, 'int32');
        const mask = tf.tensor2d(c.lossMask, undefined, 'int32');
        for (let t = 1; t <= cfg.steps; t++) {
          const { value, grads } = tf.variableGrads(() => model.loss(tokens, mask), vars);
          expect(Math.abs((await value.data())[0]! - c.adamw.losses[t - 1]!)).toBeLessThan(TOL * c.loss);
          for (const [i, v] of vars.entries()) {
            const s = state[i]!;
            adamwStep(s.p, await grads[v.name]!.data(), s.m, s.v, t, cfg);
            v.assign(tf.tensor(Float32Array.from(s.p), v.shape));
          }
          tf.dispose([value, ...Object.values(grads)]);
        }
        // Adam normalises each gradient entry, so entries whose exact gradient is 0 (e.g. the key
        // bias: softmax is shift-invariant) turn float32 rounding noise into steps of up to
        // lr·|g|/(|g|+eps). The bound below is 1e-4 relative plus that documented allowance.
        let worst = 0;
        let worstName = '';
        for (const [i, n] of names.entries()) {
          const want = c.adamw.weights[n]!.data;
          const got = state[i]!.p;
          let maxAbs = 0;
          for (const x of want) maxAbs = Math.max(maxAbs, Math.abs(x));
          let err = 0;
          for (let j = 0; j < want.length; j++) err = Math.max(err, Math.abs(got[j]! - want[j]!));
          expect(err, `weights of ${n} after ${cfg.steps} steps`).toBeLessThan(
            TOL * maxAbs + cfg.steps * cfg.lr * 0.05,
          );
          if (err / maxAbs > worst) [worst, worstName] = [err / maxAbs, n];
        }
        report.push(`${backend} ${c.name}: adamw weights ${worst.toExponential(2)} (${worstName})`);
        tf.dispose([tokens, mask]);
        model.dispose();
        if (process.env.PARITY_REPORT) console.log(report.join('\n'));
      });
    }
  });
}
