import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CursorBatch, DataCursor } from '@procpt/core';
import type { ForwardModel } from '@procpt/eval';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LengthCurriculum, type LengthCurriculumOptions } from './curriculum.js';
import { readMetrics } from '@procpt/trainer-gpu';
import { resolveRunConfig } from './recipes.js';
import { runTraining } from './run.js';

// 1-Dyck: tokens 0 = open, 1 = close, 2 = pad. Closing-bracket accuracy only scores targets that are 1.
const options = (start = 2, step = 2, length = 8): LengthCurriculumOptions => ({
  type: 'dyck',
  params: { k: 1, length },
  seed: 5,
  packing: 'pad',
  settings: { start, step, threshold: 0.99, every: 1, samples: 16 },
});

/** A scripted model that always predicts token `id` (closing-bracket accuracy 1 for id 1, 0 for id 0). */
function alwaysPredicts(id: number): ForwardModel {
  return {
    config: { vocabSize: 3, nPositions: 64 },
    forward: (tokens) =>
      tf.tidy(() => tf.cast(tf.oneHot(tf.fill(tokens.shape, id, 'int32'), 3), 'float32') as tf.Tensor3D),
  };
}

async function take(source: LengthCurriculum, n: number, cursor?: DataCursor): Promise<CursorBatch[]> {
  const out: CursorBatch[] = [];
  const it = source.batches({ batch: 3, length: 8, ...(cursor ? { cursor } : {}) })[Symbol.asyncIterator]();
  for (let i = 0; i < n; i++) out.push((await it.next()).value as CursorBatch);
  await it.return?.();
  return out;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('LengthCurriculum', () => {
  it('trains at the start length and grows by step only when the check reaches the threshold', async () => {
    const c = new LengthCurriculum(options());
    const it = c.batches({ batch: 3, length: 8 })[Symbol.asyncIterator]();
    const first = (await it.next()).value as CursorBatch;
    expect([first.batch, first.length]).toEqual([3, 2]);
    expect(Array.from(first.tokens)).toEqual([0, 1, 0, 1, 0, 1]);

    const failed = await c.check(alwaysPredicts(0), 1);
    expect(failed).toMatchObject({ kind: 'curriculum', step: 1, length: 2, accuracy: 0, next: 2 });
    expect(((await it.next()).value as CursorBatch).length).toBe(2);

    const lengths: number[] = [];
    for (let step = 2; step <= 5; step++) {
      const check = await c.check(alwaysPredicts(1), step);
      expect(check.accuracy).toBe(1);
      lengths.push(check.next);
      const b = (await it.next()).value as CursorBatch;
      expect(b.length).toBe(check.next);
      expect(b.cursor.curriculumLength).toBe(check.next);
    }
    expect(lengths).toEqual([4, 6, 8, 8]); // capped at params.length
    await it.return?.();
  });

  it('resumes at the stage and sample its cursor names, also right after a stage change', async () => {
    const c = new LengthCurriculum(options());
    const [a] = await take(c, 1);
    await c.check(alwaysPredicts(1), 1);
    // The trainer saves `cursor()` after an advancing check: the next batch is the new stage's first.
    const afterAdvance = c.cursor();
    expect(afterAdvance).toEqual({ curriculumLength: 4, index: 0 });
    const continued = await take(c, 3);
    const resumed = await take(new LengthCurriculum(options()), 3, afterAdvance);
    expect(resumed.map((b) => Array.from(b.tokens))).toEqual(continued.map((b) => Array.from(b.tokens)));
    // mid-stage: resuming from a batch's cursor gives the batch after it
    const mid = await take(new LengthCurriculum(options()), 2, continued[0]!.cursor);
    expect(Array.from(mid[0]!.tokens)).toEqual(Array.from(continued[1]!.tokens));
    expect(a!.length).toBe(2);
  });

  it('rejects a start beyond the final length, a type without length and a corrupt cursor', async () => {
    expect(() => new LengthCurriculum(options(10))).toThrow(
      /start \(10\) is longer than params.length \(8\)/,
    );
    expect(() => new LengthCurriculum({ ...options(), type: 'eca', params: {} })).toThrow(
      /has no length parameter/,
    );
    await expect(
      take(new LengthCurriculum(options()), 1, { curriculumLength: 99, index: 0 }),
    ).rejects.toThrow(/curriculumLength must be an integer in \[1, 8\]/);
  });
});

describe('runTraining with data.train.curriculum', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'procpt-curriculum-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (name: string, steps: number) =>
    resolveRunConfig({
      name,
      seed: 3,
      steps,
      backend: 'cpu',
      outDir: dir,
      model: { size: '1_2_16', dropout: 0 },
      data: {
        train: {
          kind: 'procgen',
          type: 'dyck',
          params: { k: 1, length: 12 },
          curriculum: { start: 2, step: 2, every: 2, samples: 16 },
        },
        batchSize: 8,
      },
      optimizer: { lr: 2e-2, weightDecay: 0 },
      checkpoint: { every: 3, keep: 5 },
      log: { progress: false },
    });

  it('logs checks, trains on rows of the current length, grows, and resumes bit for bit', async () => {
    const full = await runTraining(config('full', 12), { progress: false });
    // the model context covers the final length, not the first stage
    expect(full.model.nPositions).toBe(11);
    const records = await readMetrics(join(full.runDir, 'metrics.jsonl'));
    const checks = records.filter((r) => r.kind === 'curriculum');
    expect(checks.map((r) => r.step)).toEqual([2, 4, 6, 8, 10]);
    expect(checks[0]).toMatchObject({ length: 2, metric: 'closing-bracket' });
    // "0 1" is the only 1-Dyck word of length 2: mastered within the first steps at this rate
    expect(checks.map((r) => r.next)).toEqual([4, 6, 8, 10, 12]);
    const steps = records.filter((r) => r.kind === 'train');
    let length = 2;
    for (const s of steps) {
      expect(s.stepTokens).toBe(8 * length);
      const check = checks.find((c) => c.step === s.step);
      if (check) length = check.next as number;
    }

    // resume mid-stage (step 3) and right after a check (step 6): the same steps and losses follow
    const losses = (rs: typeof records, after: number) =>
      rs.filter((r) => r.kind === 'train' && (r.step as number) > after).map((r) => [r.stepTokens, r.loss]);
    for (const at of [3, 6]) {
      const resumed = await runTraining(config(`from-${at}`, 12), {
        progress: false,
        resume: join(full.runDir, 'checkpoints', `step-0000000${at}`),
      });
      const again = await readMetrics(join(resumed.runDir, 'metrics.jsonl'));
      expect(losses(again, at)).toEqual(losses(records, at));
    }
  });
});
