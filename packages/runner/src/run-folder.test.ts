import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE, ProcptError } from '@procpt/core';
import { readMetrics } from '@procpt/trainer-gpu';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestChild } from '../../../scripts/test-support/bundle-child.js';
import { resolveRunConfig } from './recipes.js';
import { recoverRunFolder, runTraining } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
let child: string;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-runfolder-'));
  child = await bundleTestChild(build, {
    packageDir: join(here, '..'),
    entry: join(here, 'testing', 'train-child.ts'),
    name: 'train-child-lock',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(child, { force: true });
});

function tiny(outDir: string, steps = 4) {
  return {
    name: 'r',
    seed: 3,
    steps,
    backend: 'cpu',
    outDir,
    model: { size: '1_2_16', dropout: 0 },
    data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 2 },
    optimizer: { lr: 3e-3 },
    schedule: { kind: 'constant', warmupSteps: 0 },
    checkpoint: { every: 2, keep: 2 },
    log: { progress: false },
  };
}
const fresh = () => join(dir, `case-${n++}`);
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid as number;

async function refusal(p: Promise<unknown>): Promise<ProcptError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ProcptError);
  return e as ProcptError;
}

async function trainSteps(runDir: string): Promise<number[]> {
  return (await readMetrics(join(runDir, 'metrics.jsonl')))
    .filter((r) => r.kind === 'train')
    .map((r) => r.step as number);
}

describe('run folders are owned', () => {
  it('a finished run is not overwritten without --force; --resume appends; --force starts again', async () => {
    const out = fresh();
    const first = await runTraining(resolveRunConfig(tiny(out)), { progress: false });
    const weights = await readFile(join(first.finalDir, 'model.safetensors'));
    const resolved = await readFile(join(first.runDir, 'config.resolved.json'), 'utf8');
    writeFileSync(join(first.runDir, 'notes.txt'), 'mine');

    const e = await refusal(runTraining(resolveRunConfig({ ...tiny(out), seed: 4 }), { progress: false }));
    expect(e.exitCode).toBe(2);
    expect(e.userMessage).toBe(
      `run r is finished (${join(first.runDir, 'final')} exists) (use --resume ${first.runDir} to continue it or --force to start it again)`,
    );
    expect((await readFile(join(first.finalDir, 'model.safetensors'))).equals(weights)).toBe(true);
    expect(await readFile(join(first.runDir, 'config.resolved.json'), 'utf8')).toBe(resolved);
    expect(await trainSteps(first.runDir)).toEqual([1, 2, 3, 4]);

    await runTraining(resolveRunConfig(tiny(out, 6)), { progress: false, resume: first.runDir });
    expect(await trainSteps(first.runDir)).toEqual([1, 2, 3, 4, 5, 6]);

    await runTraining(resolveRunConfig({ ...tiny(out), seed: 4 }), { progress: false, force: true });
    expect(await trainSteps(first.runDir)).toEqual([1, 2, 3, 4]);
    expect((await readFile(join(first.finalDir, 'model.safetensors'))).equals(weights)).toBe(false);
    expect(await readFile(join(first.runDir, 'notes.txt'), 'utf8')).toBe('mine'); // not procpt's: kept
    expect(existsSync(join(first.runDir, LOCK_FILE))).toBe(false);
  });

  it('an interrupted run (checkpoints, no final/) says how to resume it', async () => {
    const out = fresh();
    const first = await runTraining(resolveRunConfig(tiny(out)), { progress: false });
    await rm(first.finalDir, { recursive: true });
    const e = await refusal(runTraining(resolveRunConfig(tiny(out)), { progress: false }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`run r was interrupted at step 4 (${join(first.runDir, 'checkpoints')})`);
    expect(e.hint).toBe(`resume it with --resume ${first.runDir}, or pass --force to start it again`);
  });

  it("refuses a folder of someone else's files as a run folder unless --force", async () => {
    const out = fresh();
    mkdirSync(join(out, 'r'), { recursive: true });
    writeFileSync(join(out, 'r', 'data.csv'), 'a,b');
    const e = await refusal(runTraining(resolveRunConfig(tiny(out)), { progress: false }));
    expect(e.message).toMatch(/already holds files and is not procpt's run folder/);
    expect(readdirSync(join(out, 'r'))).toEqual(['data.csv']);
    writeFileSync(join(out, 'file-run'), 'x');
    const f = await refusal(
      runTraining(resolveRunConfig({ ...tiny(out), name: 'file-run' }), { force: true }),
    );
    expect(f.message).toMatch(/is a file; procpt needs a folder/);
  });

  it('two runs on one folder at once: the second is refused, naming the holder', async () => {
    const out = fresh();
    const results = await Promise.allSettled([
      runTraining(resolveRunConfig(tiny(out)), { progress: false }),
      runTraining(resolveRunConfig({ ...tiny(out), seed: 9 }), { progress: false }),
    ]);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(1);
    expect((rejected[0]!.reason as ProcptError).exitCode).toBe(2);
    expect((rejected[0]!.reason as Error).message).toMatch(/^run r .* is in use by this process on /);
    expect(await trainSteps(join(out, 'r'))).toEqual([1, 2, 3, 4]);
  });

  it('a lock of a live process in another procpt is refused; a stale one (process gone) is taken over', async () => {
    const out = fresh();
    mkdirSync(join(out, 'r'), { recursive: true });
    const lock = (pid: number) =>
      writeFileSync(
        join(out, 'r', LOCK_FILE),
        JSON.stringify({
          pid,
          host: hostname(),
          started: '2026-01-01T00:00:00.000Z',
          command: 'procpt train',
        }),
      );
    lock(process.ppid);
    const e = await refusal(runTraining(resolveRunConfig(tiny(out)), { progress: false }));
    expect(e.message).toContain(`is in use by process ${process.ppid} on ${hostname()}`);
    lock(deadPid());
    await runTraining(resolveRunConfig(tiny(out)), { progress: false });
    expect(existsSync(join(out, 'r', LOCK_FILE))).toBe(false);
  });

  it('a second process on a folder that a live training process holds is refused (two real processes)', async () => {
    const out = fresh();
    const configPath = join(out, 'long.json');
    mkdirSync(out, { recursive: true });
    await writeFile(
      configPath,
      JSON.stringify({ ...tiny(out, 100_000), checkpoint: { every: 100_000, keep: 1 } }),
    );
    const proc = spawn(process.execPath, [child, configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += String(d)));
    try {
      while (!existsSync(join(out, 'r', 'metrics.jsonl'))) {
        if (proc.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const e = await refusal(runTraining(resolveRunConfig(tiny(out)), { progress: false, force: true }));
      expect(e.exitCode).toBe(2);
      expect(e.message).toContain(`is in use by process ${proc.pid} on ${hostname()}`);
    } finally {
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));
    }
    // the killed holder's lock is stale now: --force starts again, with its metrics replaced
    await runTraining(resolveRunConfig(tiny(out)), { progress: false, force: true });
    expect(await trainSteps(join(out, 'r'))).toEqual([1, 2, 3, 4]);
  });

  it('recovers what a kill during a checkpoint or final/ replacement left', async () => {
    const out = fresh();
    const first = await runTraining(resolveRunConfig(tiny(out)), { progress: false });
    const dead = deadPid();
    const ckpts = join(first.runDir, 'checkpoints');
    mkdirSync(join(ckpts, `.step-00000006.tmp-${dead}-4`)); // killed while writing a checkpoint
    writeFileSync(join(ckpts, `.step-00000006.tmp-${dead}-4`, 'model.safetensors'), Buffer.alloc(1024));
    // killed between moving the old final/ aside and moving the new one in
    renameSync(first.finalDir, join(first.runDir, `.final.old-${dead}-9`));
    recoverRunFolder(first.runDir);
    expect(existsSync(join(first.finalDir, 'model.safetensors'))).toBe(true);
    expect(readdirSync(ckpts)).toEqual(['step-00000002', 'step-00000004']);
    expect(readdirSync(first.runDir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
