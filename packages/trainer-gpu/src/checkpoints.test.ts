import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpt, gptConfig } from '@procpt/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { selectBackend } from './backends.js';
import { loadTrainCheckpoint, saveTrainCheckpoint } from './checkpoints.js';
import { rngState } from './seeds.js';

let dir: string;
beforeAll(async () => {
  await selectBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'procpt-train-ckpt-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('train checkpoints (issue 19: values read from checkpoints are checked)', () => {
  it('a saved train state with an out-of-range field is a corrupt error naming procpt.json and the field', async () => {
    const model = Gpt.create(gptConfig('1_2_8', { vocabSize: 5, nPositions: 4 }), { seed: 1 });
    const optimizer = new AdamW(model.params, [...model.params.keys()]);
    const ckpt = join(dir, 'step-00000001');
    const state = {
      step: 1,
      optimizerStep: 1,
      lr: 1e-3,
      rng: rngState(1),
      cursor: { index: 4 },
      tokens: 16,
      bestEval: null,
      evalsWithoutImprovement: 0,
    };
    await saveTrainCheckpoint(ckpt, model, optimizer, state);
    const loaded = await loadTrainCheckpoint(ckpt);
    expect(loaded.state).toEqual(state);
    loaded.model.dispose();
    const manifest = JSON.parse(await readFile(join(ckpt, 'procpt.json'), 'utf8'));
    for (const [field, value, message] of [
      ['step', -1, /trainer state field step must be a non-negative integer, got -1/],
      ['cursor', 'x', /cursor must be an object or null/],
      ['lr', null, /lr must be a number, got null/],
    ] as const) {
      const edited = { ...manifest, meta: { ...manifest.meta, trainer: { ...state, [field]: value } } };
      await writeFile(join(ckpt, 'procpt.json'), JSON.stringify(edited));
      await expect(loadTrainCheckpoint(ckpt)).rejects.toMatchObject({
        code: 'corrupt',
        message: expect.stringMatching(message),
      });
    }
    optimizer.dispose();
    model.dispose();
  });
});
