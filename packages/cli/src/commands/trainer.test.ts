import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

const run = runProcpt;

describe('procpt train / backends', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('backends lists every backend', async () => {
    const { code, out } = await run(['--json', 'backends']);
    expect(code).toBe(0);
    const rows = JSON.parse(out) as { name: string; status: string }[];
    expect(rows.map((r) => r.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'tensorflow',
      'procpt-native',
      'wasm',
      'cpu',
    ]);
    expect(rows.find((r) => r.name === 'cpu')?.status).toBe('available');
  });

  it('rejects a bad config with exit 2 and the field named', async () => {
    const { code, err } = await run([
      'train',
      '--recipe',
      'diagnostic/addition',
      '--set',
      'data.batchSize=0',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/data\.batchSize/);
    expect((await run(['train'])).code).toBe(2);
    expect((await run(['train', '--recipe', 'x', '--backend', 'tpu'])).code).toBe(2);
  });

  it('trains a tiny config into runs/<name>/', async () => {
    const root = await mkdtemp(join(tmpdir(), 'procpt-cli-train-'));
    dirs.push(root);
    const file = join(root, 'tiny.yaml');
    await writeFile(
      file,
      [
        'recipe: diagnostic/addition',
        'name: tiny',
        `outDir: ${JSON.stringify(root)}`,
        'steps: 3',
        'model: { size: 1_2_16 }',
        'data: { batchSize: 4, eval: { kind: diagnostic, task: addition, testSize: 8 } }',
        'schedule: { warmupSteps: 1 }',
        'eval: { every: 3, batches: 2 }',
        'checkpoint: { every: 2, keep: 1 }',
      ].join('\n'),
    );
    const { code, out, err } = await run([
      '--json',
      'train',
      '-c',
      file,
      '--backend',
      'cpu',
      '--set',
      'seed=3',
      '--gpu-memory',
      '512',
    ]);
    expect(err).toMatch(/backend: cpu/);
    expect(code).toBe(0);
    const result = JSON.parse(out) as { steps: number; reason: string; runDir: string };
    expect(result).toMatchObject({ steps: 3, reason: 'completed' });
    for (const f of [
      'config.resolved.json',
      'metrics.jsonl',
      'checkpoints/step-00000003',
      'final/model.safetensors',
    ]) {
      expect(existsSync(join(result.runDir, f))).toBe(true);
    }
    // --gpu-memory lands in the config (the cpu backend does not use it; webgpu checks it)
    const resolved = JSON.parse(await readFile(join(result.runDir, 'config.resolved.json'), 'utf8')) as {
      config: { guards: { gpuMemoryMB?: number } };
    };
    expect(resolved.config.guards.gpuMemoryMB).toBe(512);
  });

  it('rejects a non-positive --gpu-memory with exit 2', async () => {
    const { code, err } = await run(['train', '--recipe', 'diagnostic/addition', '--gpu-memory', '0']);
    expect(code).toBe(2);
    expect(err).toMatch(/gpuMemoryMB/);
    expect((await run(['train', '--recipe', 'diagnostic/addition', '--gpu-memory', 'lots'])).code).toBe(2);
  });
});
