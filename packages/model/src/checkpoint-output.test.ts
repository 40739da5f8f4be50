import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcptCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { gptConfig } from './config.js';
import { Gpt } from './gpt.js';
import { writeSafetensors } from './safetensors.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'procpt-ckpt-out-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = gptConfig('1_2_8', { vocabSize: 7, nPositions: 5 });

describe('saveCheckpoint output policy', () => {
  it("replaces a procpt checkpoint, never someone's folder or an HF download without force", async () => {
    const a = Gpt.create(config, { seed: 1 });
    const b = Gpt.create(config, { seed: 2 });
    try {
      const ckpt = join(dir, 'ckpt');
      await saveCheckpoint(ckpt, a, { step: 1 });
      await saveCheckpoint(ckpt, b, { step: 2 });
      expect(await isProcptCheckpoint(ckpt)).toBe(true);
      expect((await loadCheckpoint(ckpt)).meta.step).toBe(2);
      expect(readdirSync(dir)).toEqual(['ckpt']);

      const hf = join(dir, 'gpt2-download');
      mkdirSync(hf);
      writeFileSync(join(hf, 'config.json'), '{"model_type": "gpt2"}');
      writeFileSync(join(hf, 'model.safetensors'), 'weights');
      await expect(saveCheckpoint(hf, a)).rejects.toMatchObject({
        code: 'usage',
        message: `${hf} already exists and is not a checkpoint written by procpt; procpt will not replace it`,
      });
      expect(readFileSync(join(hf, 'model.safetensors'), 'utf8')).toBe('weights');
      await saveCheckpoint(hf, a, {}, undefined, { force: true });
      expect(await isProcptCheckpoint(hf)).toBe(true);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('writeSafetensors will not replace a file that is not safetensors', async () => {
    writeFileSync(join(dir, 'notes.safetensors'), 'plain text');
    const t = { w: { dtype: 'F32' as const, shape: [1], data: new Float32Array([1]) } };
    await expect(writeSafetensors(join(dir, 'notes.safetensors'), t)).rejects.toMatchObject({
      code: 'usage',
    });
    await writeSafetensors(join(dir, 'w.safetensors'), t);
    await writeSafetensors(join(dir, 'w.safetensors'), t);
  });
});
