import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listBackends, selectBackend } from '@procpt/trainer-gpu';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveRunConfig } from './recipes.js';
import { runTraining } from './run.js';

// Runs where the optional webgpu packages are installed and Dawn finds a Vulkan adapter (a GPU, or Mesa >= 23
// lavapipe on the CPU).
const webgpu = (await listBackends()).find((r) => r.name === 'webgpu');
const why = webgpu?.status === 'available' ? '' : (webgpu?.reason ?? 'not listed');

describe.skipIf(why !== '')(`runTraining on webgpu${why ? ` (skipped: ${why})` : ''}`, () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('the memory guard checks the adapter limits and --gpu-memory, not host RAM', async () => {
    const report = await selectBackend('webgpu');
    const binding = report.adapter!.limits!.maxStorageBufferBindingSize;
    const out = await mkdtemp(join(tmpdir(), 'procpt-webgpu-guard-'));
    const config = (patch: object) =>
      resolveRunConfig({
        name: 'guard',
        steps: 1,
        backend: 'webgpu',
        outDir: out,
        model: { size: '1_2_16' },
        data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 2 },
        optimizer: { lr: 1e-3 },
        log: { progress: false },
        ...patch,
      });
    try {
      // an embedding one row over the binding limit is refused before anything is allocated
      const vocabSize = Math.floor(binding / 4 / 16) + 1;
      await expect(runTraining(config({ model: { size: '1_2_16', vocabSize } }))).rejects.toMatchObject({
        code: 'config',
        message: expect.stringMatching(/maxStorageBufferBindingSize/),
      });
      // host RAM limits do not apply; an explicit GPU memory limit does
      await expect(runTraining(config({ guards: { memoryLimitMB: 1e-3 } }))).resolves.toBeDefined();
      await expect(
        runTraining(config({ name: 'guard2', guards: { gpuMemoryMB: 1e-3 } })),
      ).rejects.toMatchObject({
        code: 'config',
        message: expect.stringMatching(/GPU memory limit/),
      });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
