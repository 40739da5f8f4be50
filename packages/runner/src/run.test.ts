import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestChild } from '../../../scripts/test-support/bundle-child.js';
import { listBackends, readMetrics } from '@procpt/trainer-gpu';
import { resolveRunConfig } from './recipes.js';
import { runTraining } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
let child: string;
const native = (await listBackends()).find((r) => r.name === 'procpt-native');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-run-'));
  child = await bundleTestChild(build, {
    packageDir: join(here, '..'),
    entry: join(here, 'testing', 'train-child.ts'),
    name: 'train-child',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(child, { force: true });
});

function tinyConfig(outDir: string, steps: number, backend = 'cpu') {
  return {
    name: 'kill-test',
    seed: 11,
    steps,
    backend,
    outDir,
    model: { size: '1_2_16', dropout: 0.1 },
    data: {
      train: { kind: 'diagnostic', task: 'addition' },
      eval: { kind: 'diagnostic', task: 'addition', testSize: 8 },
      batchSize: 4,
    },
    optimizer: { lr: 3e-3, weightDecay: 0.1 },
    schedule: { kind: 'cosine', warmupSteps: 3, floor: 'scale' },
    eval: { every: 10, batches: 2 },
    checkpoint: { every: 3, keep: 2 },
    log: { progress: false },
  };
}

describe('runTraining', () => {
  it('writes the run directory layout', async () => {
    const summary = await runTraining(resolveRunConfig(tinyConfig(join(dir, 'layout'), 4)), {
      progress: false,
    });
    expect(summary.result.state.step).toBe(4);
    for (const f of [
      'config.resolved.json',
      'metrics.jsonl',
      'checkpoints/step-00000003',
      'checkpoints/step-00000004',
      'final/model.safetensors',
    ]) {
      expect(existsSync(join(summary.runDir, f))).toBe(true);
    }
    const resolved = JSON.parse(await readFile(join(summary.runDir, 'config.resolved.json'), 'utf8'));
    expect(resolved.backend.name).toBe('cpu');
    expect(resolved.model).toMatchObject({ nLayer: 1, vocabSize: 31 });
    const records = await readMetrics(join(summary.runDir, 'metrics.jsonl'));
    expect(records[0]).toMatchObject({ kind: 'train', step: 1 });
    expect(records[0]).toHaveProperty('gradNorm');
    expect(records[0]).toHaveProperty('tokensPerSecond');
    expect(records.at(-1)).toMatchObject({ kind: 'eval', step: 4 });
  });

  it('a run killed with SIGKILL mid-run and resumed ends with the same weights as an uninterrupted one', async () => {
    await killAndResume('cpu');
  });

  it.skipIf(native?.status !== 'available')(
    `the same on procpt-native${native?.status === 'available' ? '' : ` (skipped: ${native?.reason})`}`,
    async () => {
      await killAndResume('procpt-native');
    },
  );

  it('loss decreases on a tiny procedural task (procgen sort)', async () => {
    // The paper's sort.yaml settings (the procedural/sort recipe of @procpt/paper) at a tiny size.
    const config = resolveRunConfig({
      name: 'sort-tiny',
      seed: 42,
      outDir: join(dir, 'sort'),
      backend: 'cpu',
      steps: 40,
      model: { size: '1_2_16', tied: true, dropout: 0 },
      data: {
        train: { kind: 'procgen', type: 'sort', params: { vocabSize: 6, length: 5 } },
        eval: { kind: 'procgen', type: 'sort', params: { vocabSize: 6, length: 5 } },
        batchSize: 16,
        accumulation: 1,
      },
      optimizer: { lr: 1e-2, weightDecay: 0.1, noDecay: [], gradClip: 1 },
      schedule: { kind: 'constant', warmupSteps: 0 },
      eval: { every: 40, batches: 2, patience: 50, metric: 'accuracy' },
      checkpoint: { every: 40, keep: 1 },
      log: { progress: false },
    });
    const summary = await runTraining(config, { progress: false });
    const losses = (await readMetrics(join(summary.runDir, 'metrics.jsonl')))
      .filter((r) => r.kind === 'train')
      .map((r) => r.loss as number);
    const early = losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const late = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(late).toBeLessThan(early * 0.7);
    expect(summary.result.lastEval?.accuracy).toBeGreaterThan(0.3);
  });

  it('refuses a batch that cannot fit, before allocating, with an estimate', async () => {
    const config = resolveRunConfig({
      ...tinyConfig(join(dir, 'big'), 1),
      model: { size: '12_12_768' },
      data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 4096 },
      guards: { memoryLimitMB: 512 },
    });
    await expect(runTraining(config, { progress: false })).rejects.toThrow(
      /needs about .* GB .* only 0\.50 GB/,
    );
  });
});

/** Reference run vs a run SIGKILLed after a few checkpoints and resumed: identical final safetensors. */
async function killAndResume(backend: string): Promise<void> {
  const steps = 60;
  const sub = join(dir, backend);
  const reference = await runTraining(resolveRunConfig(tinyConfig(join(sub, 'ref'), steps, backend)), {
    progress: false,
  });

  await mkdir(sub, { recursive: true });
  const killedOut = join(sub, 'killed');
  const configPath = join(sub, 'kill.json');
  await writeFile(configPath, JSON.stringify(tinyConfig(killedOut, steps, backend)));
  const proc = spawn(process.execPath, [child, configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const metrics = join(killedOut, 'kill-test', 'metrics.jsonl');
  let killedAt = -1;
  while (killedAt < 0) {
    await new Promise((r) => setTimeout(r, 15));
    if (proc.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
    if (!existsSync(metrics)) continue;
    const steps_ = (await readFile(metrics, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"kind":"train"')).length;
    if (steps_ >= 7) {
      proc.kill('SIGKILL');
      killedAt = steps_;
    }
  }
  expect(await exited).toMatchObject({ signal: 'SIGKILL' });
  expect(existsSync(join(killedOut, 'kill-test', 'final'))).toBe(false);

  const resumed = await runTraining(resolveRunConfig(tinyConfig(killedOut, steps, backend)), {
    resume: join(killedOut, 'kill-test'),
    progress: false,
  });
  expect(resumed.result.state.step).toBe(steps);
  const a = await readFile(join(reference.finalDir, 'model.safetensors'));
  const b = await readFile(join(resumed.finalDir, 'model.safetensors'));
  expect(b.equals(a)).toBe(true);
  const records = await readMetrics(join(resumed.runDir, 'metrics.jsonl'));
  expect(records.filter((r) => r.kind === 'train').map((r) => r.step)).toEqual(
    Array.from({ length: steps }, (_, i) => i + 1),
  );
}
