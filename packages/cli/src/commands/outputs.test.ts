// The output policy, end to end through `procpt`: what each command refuses to clobber, and what it
// may replace. Device nodes are never touched: a FIFO or a link to one stands in for them.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcpt as run } from '../testing.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-outputs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
function fresh(): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}
const INIT = ['model', 'init', '--size', '1_2_8', '--vocab', '11', '--positions', '9'];

/** A valid 1-token shard (the user's data that `--out` must not destroy). */
async function makeShard(path: string): Promise<Buffer> {
  const r = await run(['gen', 'dyck', '--format', 'bin', '--n', '1', '--workers', '1', '--out', path]);
  expect(r.code).toBe(0);
  return readFileSync(path);
}

describe('finding 1: existing data is never deleted', () => {
  it('model init --out onto a folder of unrelated files exits 2 and keeps them; --force replaces', async () => {
    const dir = fresh();
    const out = join(dir, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'thesis.tex'), 'years of work');
    const r = await run([...INIT, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `procpt: ${out} already exists and is not a checkpoint written by procpt; procpt will not replace it\nhint: pass --force to replace it, or choose another path\n`,
    );
    expect(readdirSync(out)).toEqual(['thesis.tex']);
    expect((await run([...INIT, '--out', out, '--force'])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'procpt.json']);
    // a procpt checkpoint is replaced (atomically) without --force
    expect((await run([...INIT, '--seed', '2', '--out', out])).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['mine']);
  });

  it('model transfer --out onto a folder of unrelated files exits 2 and keeps them', async () => {
    const dir = fresh();
    expect((await run([...INIT, '--out', join(dir, 'src')])).code).toBe(0);
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.md'), 'keep');
    const r = await run([
      'model',
      'transfer',
      '--from',
      join(dir, 'src'),
      '--to-config',
      join(dir, 'src'),
      '--out',
      join(dir, 'mine'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/is not a checkpoint written by procpt/);
    expect(readdirSync(join(dir, 'mine'))).toEqual(['notes.md']);
  });

  it('model init --out onto an existing file (a valid .bin shard) exits 2; the shard stays a file', async () => {
    const dir = fresh();
    const shard = join(dir, 'x.bin');
    const bytes = await makeShard(shard);
    const r = await run([...INIT, '--out', shard]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/x\.bin is a file, not a checkpoint; procpt will not replace it/);
    expect(lstatSync(shard).isFile()).toBe(true);
    expect(readFileSync(shard).equals(bytes)).toBe(true);
  });

  it('gen and tokenize never replace a file they did not write; their own outputs they do', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'notes.txt'), 'keep');
    const g = await run(['gen', 'dyck', '--n', '2', '--out', join(dir, 'notes.txt')]);
    expect(g.code).toBe(2);
    expect(g.err).toMatch(/not a JSONL of samples written by procpt/);
    const b = await run([
      'gen',
      'dyck',
      '--format',
      'bin',
      '--n',
      '2',
      '--workers',
      '1',
      '--out',
      join(dir, 'notes.txt'),
    ]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/not a token shard written by procpt/);
    writeFileSync(join(dir, 'in.txt'), 'hello world');
    const t = await run([
      'tokenize',
      '--tokenizer',
      'char',
      '--in',
      join(dir, 'in.txt'),
      '--out',
      join(dir, 'notes.txt'),
      '--no-progress',
    ]);
    expect(t.code).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep');
    // procpt's own outputs are replaced
    expect((await run(['gen', 'dyck', '--n', '2', '--out', join(dir, 'a.jsonl')])).code).toBe(0);
    expect((await run(['gen', 'dyck', '--n', '3', '--out', join(dir, 'a.jsonl')])).code).toBe(0);
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    await makeShard(join(dir, 'b.bin'));
    expect(
      (
        await run([
          'tokenize',
          '--tokenizer',
          'char',
          '--in',
          join(dir, 'in.txt'),
          '--out',
          join(dir, 'b.bin'),
          '--no-progress',
        ])
      ).code,
    ).toBe(0);
    // --force replaces a file procpt did not write
    expect((await run(['gen', 'dyck', '--n', '2', '--out', join(dir, 'notes.txt'), '--force'])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['a.jsonl', 'b.bin', 'in.txt', 'notes.txt']);
  });
});

describe('finding 2: device nodes, FIFOs and system paths are refused up front', () => {
  it('gen --out a FIFO or a link to one (stand-ins for /dev/full, /dev/null) exits 2 and leaves it alone', async () => {
    const dir = fresh();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    symlinkSync(join(dir, 'fifo'), join(dir, 'full'));
    for (const out of ['fifo', 'full']) {
      for (const extra of [[], ['--format', 'bin', '--workers', '1']]) {
        const r = await run(['gen', 'dyck', '--n', '2', ...extra, '--out', join(dir, out), '--force']);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/refusing to write .* (a FIFO|a link to a FIFO)/);
      }
    }
    expect(lstatSync(join(dir, 'fifo')).isFIFO()).toBe(true);
    expect(lstatSync(join(dir, 'full')).isSymbolicLink()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['fifo', 'full']);
  });

  it('tokenize, gen and corpora prepare refuse /sys and /proc paths by name (nothing there is touched)', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'in.txt'), 'x');
    for (const argv of [
      [
        'tokenize',
        '--tokenizer',
        'char',
        '--in',
        join(dir, 'in.txt'),
        '--out',
        '/sys/kernel/x.bin',
        '--no-progress',
      ],
      ['gen', 'dyck', '--format', 'bin', '--n', '2', '--workers', '1', '--out', '/sys/x.bin'],
      ['corpora', 'prepare', '--domain', 'math', '--per-module', '1', '--out', '/proc/x', '--no-progress'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^procpt: refusing to write \/(sys|proc)\/.* a system folder, not storage/);
    }
  });

  it('model init --out /proc/x fails fast with one line instead of retrying mkdir forever', async () => {
    const started = Date.now();
    const r = await run([...INIT, '--out', '/proc/x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      'procpt: refusing to write /proc/x: it is under /proc, a system folder, not storage\nhint: write to a regular folder\n',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('finding 6 (writers): one-line errors', () => {
  it("--out '' is a usage error, not rename '..tmp' -> ''", async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'in.txt'), 'x');
    for (const argv of [
      ['gen', 'dyck', '--n', '2', '--out', ''],
      ['gen', 'dyck', '--format', 'bin', '--n', '2', '--out', ''],
      ['tokenize', '--tokenizer', 'char', '--in', join(dir, 'in.txt'), '--out', '', '--no-progress'],
    ]) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /^procpt: the output path of the .* is empty\nhint: pass a file or folder name\n$/,
      );
    }
    expect(readdirSync(dir)).toEqual(['in.txt']);
  });

  it('a file where a folder should be is one line, exit 2 (corpora prepare, dm-math, tokenize)', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'x');
    const p = await run([
      'corpora',
      'prepare',
      '--domain',
      'math',
      '--per-module',
      '1',
      '--out',
      join(dir, 'file'),
      '--no-progress',
    ]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/^procpt: .*file is a file; procpt needs a folder there/);
    const d = await run([
      'corpora',
      'dm-math',
      '--per-module',
      '1',
      '--out',
      join(dir, 'file'),
      '--no-progress',
    ]);
    expect(d.code).toBe(2);
    writeFileSync(join(dir, 'in.txt'), 'x');
    const t = await run([
      'tokenize',
      '--tokenizer',
      'char',
      '--in',
      join(dir, 'in.txt'),
      '--out',
      join(dir, 'file', 'x.bin'),
      '--no-progress',
    ]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/file is a file, not a folder/);
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('x');
  });

  it('corpora dm-math never overwrites a DM-Math folder procpt did not generate (a real download)', async () => {
    const dir = fresh();
    const real = join(dir, 'mathematics_dataset-v1.0', 'train-easy');
    mkdirSync(real, { recursive: true });
    writeFileSync(join(real, 'algebra__linear_1d.txt'), 'the real question\nthe real answer\n');
    const r = await run([
      'corpora',
      'dm-math',
      '--per-module',
      '1',
      '--split',
      'train-easy',
      '--out',
      dir,
      '--no-progress',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /already holds files and is not procpt's generated DM-Math folder\nhint: it looks like a DM-Math download/,
    );
    expect(readFileSync(join(real, 'algebra__linear_1d.txt'), 'utf8')).toBe(
      'the real question\nthe real answer\n',
    );
    const again = fresh();
    expect(
      (
        await run([
          'corpora',
          'dm-math',
          '--per-module',
          '1',
          '--split',
          'train-easy',
          '--out',
          again,
          '--no-progress',
        ])
      ).code,
    ).toBe(0);
    expect(
      (
        await run([
          'corpora',
          'dm-math',
          '--per-module',
          '2',
          '--split',
          'train-easy',
          '--out',
          again,
          '--no-progress',
        ])
      ).code,
    ).toBe(0);
  });
});

describe('finding 3: run and study folders are owned', () => {
  it('train on a finished run: exit 2 without --resume/--force; --resume appends; --force starts again', async () => {
    const dir = fresh();
    const config = join(dir, 'run.json');
    writeFileSync(
      config,
      JSON.stringify({
        name: 'r',
        seed: 1,
        steps: 3,
        backend: 'cpu',
        outDir: join(dir, 'runs'),
        model: { size: '1_2_16', dropout: 0 },
        data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 2 },
        schedule: { kind: 'constant', warmupSteps: 0 },
        checkpoint: { every: 3, keep: 1 },
        log: { progress: false },
      }),
    );
    const runDir = join(dir, 'runs', 'r');
    const steps = () =>
      readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((r) => r.kind === 'train')
        .map((r) => r.step);
    expect((await run(['train', '-c', config, '--no-progress'])).code).toBe(0);
    const resolved = readFileSync(join(runDir, 'config.resolved.json'), 'utf8');
    const again = await run(['train', '-c', config, '--no-progress', '-s', 'seed=2']);
    expect(again.code).toBe(2);
    expect(again.err).toBe(
      `procpt: run r is finished (${join(runDir, 'final')} exists)\nhint: use --resume ${runDir} to continue it or --force to start it again\n`,
    );
    expect(readFileSync(join(runDir, 'config.resolved.json'), 'utf8')).toBe(resolved);
    expect(steps()).toEqual([1, 2, 3]);
    expect(
      (await run(['train', '-c', config, '--no-progress', '-s', 'steps=5', '--resume', runDir])).code,
    ).toBe(0);
    expect(steps()).toEqual([1, 2, 3, 4, 5]);
    expect((await run(['train', '-c', config, '--no-progress', '--force'])).code).toBe(0);
    expect(steps()).toEqual([1, 2, 3]);
  });

  it('study run on a study folder held by another process exits 2 naming the holder', async () => {
    const out = fresh();
    writeFileSync(
      join(out, '.procpt.lock'),
      JSON.stringify({
        pid: process.ppid,
        host: hostname(),
        started: '2026-01-01T00:00:00.000Z',
        command: 'procpt study run all',
      }),
    );
    const r = await run([
      'study',
      'run',
      'diagnostics',
      '--preset',
      'tiny',
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`procpt: study ${out} is in use by process ${process.ppid} on ${hostname()}`);
    expect(readdirSync(out)).toEqual(['.procpt.lock']);
  });
});
