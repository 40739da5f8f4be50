// Ctrl-C and SIGTERM on real `procpt` processes (the CLI bundled from source): prompt exit, no partial
// files left, and what a SIGKILL leaves is swept by the next run.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DM_MATH_MODULES } from '@procpt/corpora';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundledCli, bundleCliBin } from '../testing-bin.js';
import { runProcpt } from '../testing.js';

let root: string;
let n = 0;
let cli: BundledCli;
let bin: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-signals-'));
  cli = await bundleCliBin('procpt-bin');
  bin = cli.bin;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await cli.dispose();
});
function fresh(): string {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  return dir;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}
function start(args: string[]): { proc: ChildProcess; exited: Promise<Exit> } {
  const started = Date.now();
  const proc = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<Exit>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - started })),
  );
  return { proc, exited };
}

/** Waits until a hidden temp file in `dir` has grown past `bytes` (the writer is mid-output). */
async function waitForTemp(dir: string, exited: Promise<Exit>, bytes = 1 << 20): Promise<string> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const temp = readdirSync(dir).find((f) => /^\..*\.tmp-\d+-\d+$/.test(f));
    if (temp && statSync(join(dir, temp)).size > bytes) return temp;
    if (done) throw new Error(`procpt exited before writing: ${(await exited).stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const BIG_BIN = ['gen', 'dyck', '--format', 'bin', '--tokens', '400000000', '--workers', '1'];

describe('SIGINT / SIGTERM: prompt stop, partial outputs deleted', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`gen --format bin: ${signal} exits ${code} and removes the temp shard`, async () => {
      const dir = fresh();
      const { proc, exited } = start([...BIG_BIN, '--out', join(dir, 'x.bin')]);
      await waitForTemp(dir, exited);
      proc.kill(signal);
      const r = await exited;
      expect(r).toMatchObject({ code, signal: null });
      expect(r.stderr).toMatch(new RegExp(`procpt: interrupted \\(${signal}\\); removed 1 partial output`));
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('gen JSONL: Ctrl-C removes the temp file', async () => {
    const dir = fresh();
    const { proc, exited } = start(['gen', 'dyck', '--n', '100000000', '--out', join(dir, 'x.jsonl')]);
    await waitForTemp(dir, exited);
    proc.kill('SIGINT');
    expect((await exited).code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('corpora dm-math: Ctrl-C removes the module file being written', async () => {
    const dir = fresh();
    const module = DM_MATH_MODULES.find((m) => m.splits.includes('train-easy'))!.name;
    const args = [
      'corpora',
      'dm-math',
      '--per-module',
      '50000000',
      '--split',
      'train-easy',
      '--module',
      module,
    ];
    const { proc, exited } = start([...args, '--out', dir, '--no-progress']);
    const folder = join(dir, 'mathematics_dataset-v1.0', 'train-easy');
    while (!existsSync(folder)) await new Promise((r) => setTimeout(r, 25));
    await waitForTemp(folder, exited);
    proc.kill('SIGINT');
    expect((await exited).code).toBe(130);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('what a SIGKILL leaves (no handler can run) is swept by the next run in that folder', async () => {
    const dir = fresh();
    const { proc, exited } = start([...BIG_BIN, '--out', join(dir, 'x.bin')]);
    const temp = await waitForTemp(dir, exited);
    proc.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');
    expect(readdirSync(dir)).toEqual([temp]);
    const next = await runProcpt(['gen', 'dyck', '--n', '2', '--out', join(dir, 'y.jsonl')]);
    expect(next.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['y.jsonl']);
  });

  it('train: SIGTERM checkpoints and stops, releases the lock; starting it again then needs --resume', async () => {
    const dir = fresh();
    const config = join(dir, 'run.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'r',
        seed: 1,
        steps: 100000,
        backend: 'cpu',
        outDir: dir,
        model: { size: '1_2_16', dropout: 0 },
        data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 2 },
        schedule: { kind: 'constant', warmupSteps: 0 },
        checkpoint: { every: 100000, keep: 1 },
        log: { progress: false },
      }),
    );
    const { proc, exited } = start(['train', '-c', config, '--no-progress']);
    const metrics = join(dir, 'r', 'metrics.jsonl');
    while (!existsSync(metrics) || statSync(metrics).size < 2000) {
      if (proc.exitCode !== null) throw new Error((await exited).stderr);
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill('SIGTERM');
    const r = await exited;
    expect(r.stderr).toMatch(/interrupt: finishing the current step and saving a checkpoint/);
    expect(r.code).not.toBe(0);
    const names = readdirSync(join(dir, 'r'));
    expect(names).not.toContain('.procpt.lock');
    expect(names.filter((f) => f.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(dir, 'r', 'checkpoints'))).toHaveLength(1);
    const refused = await runProcpt(['train', '-c', config, '--no-progress']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/was interrupted at step \d+ .*\nhint: resume it with --resume/);
  });
});

describe('a failed command exits (no hang on leftover worker threads or handles)', () => {
  it('corpora prepare --out an existing file prints one line and exits 2', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'x');
    const r = await start(['corpora', 'prepare', '--domain', 'language', '--out', join(dir, 'file')]).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `procpt: ${join(dir, 'file')} is a file; procpt needs a folder there\nhint: choose another path\n`,
    );
  });
});
