import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpt, gptConfig, loadCheckpoint } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import type { CursorBatch, DataSource } from '@procpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fusedOptimizerFor, listBackends, selectBackend } from './backends.js';
import { latestCheckpoint, listCheckpoints, loadTrainCheckpoint } from './checkpoints.js';
import { readMetrics } from './metrics.js';
import { affineSource } from './test-data.js';
import { Trainer, type TrainerOptions } from './trainer.js';

let dir: string;
beforeAll(async () => {
  await selectBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'procpt-trainer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const V = 16;
function tinyModel(seed = 3, dropout = 0): Gpt {
  return Gpt.create(gptConfig('1_2_16', { vocabSize: V, nPositions: 16, dropout }), { seed });
}

function options(model: Gpt, over: Partial<TrainerOptions> = {}): TrainerOptions {
  return {
    model,
    data: affineSource(V),
    batchSize: 4,
    length: 12,
    accumulation: 1,
    steps: 20,
    trainable: [...model.params.keys()],
    optimizer: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, noDecay: [], gradClip: 1 },
    schedule: { kind: 'cosine', warmupSteps: 2, totalSteps: 20, minLrRatio: 0.1, floor: 'scale' },
    seed: 5,
    progress: false,
    debug: true,
    ...over,
  };
}

async function weights(model: Gpt): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [n, v] of model.params) out[n] = (await v.data()) as Float32Array;
  return out;
}

describe('Trainer', () => {
  it('loss decreases on a tiny deterministic task, with no tensor leaks', async () => {
    const model = tinyModel();
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const trainer = new Trainer(
      options(model, {
        onStep: (m) => {
          losses.push(m.loss);
        },
      }),
    );
    const result = await trainer.run();
    trainer.dispose();
    expect(result.reason).toBe('completed');
    expect(result.state.step).toBe(20);
    expect(losses[19]!).toBeLessThan(losses[0]! * 0.6);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('accumulating 4 micro-batches of B equals one step of 4B', async () => {
    const a = tinyModel();
    const b = tinyModel();
    const common = { steps: 2, optimizer: { ...options(a).optimizer, gradClip: null } };
    const ta = new Trainer(options(a, { ...common, batchSize: 2, accumulation: 4 }));
    const tb = new Trainer(options(b, { ...common, batchSize: 8, accumulation: 1 }));
    await ta.run();
    await tb.run();
    const [wa, wb] = [await weights(a), await weights(b)];
    for (const name of Object.keys(wa)) {
      const x = wa[name]!;
      const y = wb[name]!;
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(2e-5);
    }
    ta.dispose();
    tb.dispose();
    a.dispose();
    b.dispose();
  });

  it('frozen parameters stay bit-identical', async () => {
    const model = tinyModel();
    const frozen = [...model.params.keys()].filter((n) => n.includes('.attn.'));
    const before = await weights(model);
    const trainable = [...model.params.keys()].filter((n) => !frozen.includes(n));
    const trainer = new Trainer(options(model, { steps: 3, trainable }));
    await trainer.run();
    const after = await weights(model);
    for (const n of frozen) expect(after[n]).toEqual(before[n]);
    expect(after['transformer.h.0.mlp.c_fc.weight']).not.toEqual(before['transformer.h.0.mlp.c_fc.weight']);
    trainer.dispose();
    model.dispose();
  });

  it('evaluates, resumes its early-stopping state, checkpoints keep-last-K and resumes bit for bit', async () => {
    await resumesBitForBit('cpu');
  });

  it('keeps the weights of the best evaluation so far', async () => {
    const model = tinyModel();
    const best = join(dir, 'best-weights');
    const metricsPath = join(dir, 'best-metrics.jsonl');
    const trainer = new Trainer(
      options(model, {
        steps: 8,
        eval: { source: affineSource(V, 7), every: 1, batches: 1, patience: 0, metric: 'loss' },
        best: { dir: best, meta: { run: 'best-test' } },
        metricsPath,
      }),
    );
    await trainer.run();
    const evals = (await readMetrics(metricsPath)).filter((r) => r.kind === 'eval');
    const bestEval = evals.reduce((a, b) => ((b.loss as number) < (a.loss as number) ? b : a));
    const { meta, model: saved } = await loadCheckpoint(best);
    expect(meta).toMatchObject({ run: 'best-test', step: bestEval.step, eval: { loss: bestEval.loss } });
    // the best folder holds the weights of that evaluation: the last step's only if it was the best
    const same = JSON.stringify(await weights(saved)) === JSON.stringify(await weights(model));
    expect(same).toBe(bestEval.step === 8);
    saved.dispose();
    trainer.dispose();
    model.dispose();
    expect(() => new Trainer(options(tinyModel(), { best: { dir: best } }))).toThrow(/needs an evaluation/);
  });

  it('stops early when the metric stops improving', async () => {
    const model = tinyModel();
    const trainer = new Trainer(
      options(model, {
        steps: 50,
        optimizer: { ...options(model).optimizer, lr: 1e-9 },
        eval: { source: affineSource(V, 7), every: 1, batches: 1, patience: 2, metric: 'accuracy' },
      }),
    );
    const result = await trainer.run();
    expect(result.reason).toBe('early-stopped');
    expect(result.state.step).toBe(3);
    trainer.dispose();
    model.dispose();
  });

  it('stops on a NaN loss with the step in the message, without applying the update', async () => {
    // lr NaN: step 1's update poisons the weights, so step 2's loss is NaN and its update is skipped
    const model = tinyModel();
    const trainer = new Trainer(
      options(model, { steps: 5, optimizer: { ...options(model).optimizer, lr: Number.NaN } }),
    );
    await expect(trainer.run()).rejects.toMatchObject({
      code: 'numeric',
      message: expect.stringMatching(/step 2/),
    });
    expect(trainer.optimizer.t).toBe(1);
    expect(trainer.trainState.step).toBe(1);
    trainer.dispose();
    model.dispose();
    // a poisoned model is refused before step 1 (a data error naming the weight), and nothing moves
    const poisoned = tinyModel();
    poisoned.param('transformer.ln_f.weight').assign(tf.fill([16], Number.NaN));
    const before = await weights(poisoned);
    const t = new Trainer(options(poisoned, { steps: 5 }));
    await expect(t.run()).rejects.toMatchObject({
      code: 'data',
      message: expect.stringMatching(/transformer\.ln_f\.weight holds NaN/),
    });
    expect(t.optimizer.t).toBe(0);
    const after = await weights(poisoned);
    for (const name of Object.keys(before)) expect(after[name], name).toEqual(before[name]);
    t.dispose();
    poisoned.dispose();
  });

  it('refuses a loss mask other than 0/1 or an out-of-vocabulary token before any update (data error)', async () => {
    const mangled = (edit: (b: CursorBatch) => void): DataSource => ({
      describe: () => ({ kind: 'mangled', vocabSize: V }),
      async *batches(o) {
        for await (const b of affineSource(V).batches(o)) {
          edit(b);
          yield b;
        }
      },
    });
    const cases: [(b: CursorBatch) => void, RegExp][] = [
      [(b) => void (b.loss[3] = 2), /loss-mask value 2 at row 0, position 3 is not 0 or 1/],
      [
        (b) => void ((b as { loss: unknown }).loss = Array.from(b.loss, (x, i) => (i === 5 ? 'x' : x))),
        /loss-mask value "x" at row 0, position 5/,
      ],
      [(b) => void (b.tokens[13] = V), /token 16 at row 1, position 1 is outside the vocabulary \[0, 16\)/],
    ];
    for (const [edit, message] of cases) {
      const model = tinyModel();
      const trainer = new Trainer(options(model, { data: mangled(edit), steps: 2 }));
      await expect(trainer.run()).rejects.toMatchObject({
        code: 'data',
        message: expect.stringMatching(message),
      });
      expect(trainer.optimizer.t).toBe(0);
      trainer.dispose();
      model.dispose();
    }
  });
});

const native = (await listBackends()).find((r) => r.name === 'procpt-native');
describe.skipIf(native?.status !== 'available')(
  `Trainer on procpt-native${native?.status === 'available' ? '' : ` (skipped: ${native?.reason})`}`,
  () => {
    let fusedOptimizer: TrainerOptions['fusedOptimizer'];
    beforeAll(async () => {
      fusedOptimizer = await fusedOptimizerFor(await selectBackend('procpt-native'));
    });
    afterAll(async () => {
      await selectBackend('cpu');
    });
    it('checkpoints and resumes bit for bit (fused kernels, in-place AdamW)', async () => {
      await resumesBitForBit('native', { fusedOptimizer });
    });
  },
);

/** Uninterrupted run vs interrupted + resumed from its checkpoint: same weights, metrics and evals. */
async function resumesBitForBit(tag: string, backendOptions: Partial<TrainerOptions> = {}): Promise<void> {
  const runDir = join(dir, `resume-${tag}`);
  const eval_ = { source: affineSource(V, 99), every: 2, batches: 2, patience: 0, metric: 'loss' as const };
  // uninterrupted reference, with dropout so the RNG matters
  const ref = tinyModel(3, 0.1);
  const tr = new Trainer(options(ref, { ...backendOptions, steps: 8, eval: eval_ }));
  const refResult = await tr.run();
  tr.dispose();

  const first = tinyModel(3, 0.1);
  const t1 = new Trainer(
    options(first, {
      ...backendOptions,
      steps: 8,
      eval: eval_,
      checkpoints: { dir: join(runDir, 'checkpoints'), every: 3, keep: 2 },
      metricsPath: join(runDir, 'metrics.jsonl'),
      signal: AbortSignal.abort(),
    }),
  );
  await expect(t1.run()).rejects.toMatchObject({ code: 'interrupted' });
  t1.dispose();
  first.dispose();
  const ckpt = await latestCheckpoint(join(runDir, 'checkpoints'));
  expect(ckpt).toMatch(/step-00000001$/);

  const loaded = await loadTrainCheckpoint(ckpt!);
  const t2 = new Trainer(
    options(loaded.model, {
      ...backendOptions,
      steps: 8,
      eval: eval_,
      checkpoints: { dir: join(runDir, 'checkpoints'), every: 3, keep: 2 },
      metricsPath: join(runDir, 'metrics.jsonl'),
    }),
    loaded,
  );
  tf.dispose(Object.values(loaded.moments));
  const result = await t2.run();
  expect(result.state.step).toBe(8);
  // the early-stopping counters travel with the checkpoint: the resumed run ends in the same state
  expect(result.state.bestEval).toBe(refResult.state.bestEval);
  expect(result.state.evalsWithoutImprovement).toBe(refResult.state.evalsWithoutImprovement);
  expect(await weights(loaded.model)).toEqual(await weights(ref));
  const kept = await listCheckpoints(join(runDir, 'checkpoints'));
  expect(kept.map((c) => c.step)).toEqual([6, 8]);
  const records = await readMetrics(join(runDir, 'metrics.jsonl'));
  expect(records.filter((r) => r.kind === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  const evals = records.filter((r) => r.kind === 'eval');
  expect(evals.map((r) => r.step)).toEqual([2, 4, 6, 8]);
  expect(evals[0]).toHaveProperty('perplexity');
  t2.dispose();
  loaded.model.dispose();
  ref.dispose();
}
