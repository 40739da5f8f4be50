import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ProcptError,
  Progress,
  createAtomicWriteStream,
  formatDuration,
  isProcptError,
  writeDirAtomic,
  writeFileAtomic,
} from './index.js';

describe('ProcptError', () => {
  it('maps usage/config to exit 2 and runtime to exit 1, and carries a hint', () => {
    const usage = new ProcptError('config', 'dyck.k must be an integer in [1, 32767], got 0', {
      hint: 'use --k 64',
    });
    expect(usage.exitCode).toBe(2);
    expect(usage.userMessage).toBe('dyck.k must be an integer in [1, 32767], got 0 (use --k 64)');
    expect(new ProcptError('io', 'x').exitCode).toBe(1);
    expect(isProcptError(usage)).toBe(true);
    expect(isProcptError(new Error('x'))).toBe(false);
  });
});

describe('atomic writes', () => {
  it('writes a file and leaves no temp files behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-core-'));
    const path = join(dir, 'out.json');
    await writeFileAtomic(path, 'first');
    await writeFileAtomic(path, 'second');
    expect(await readFile(path, 'utf8')).toBe('second');
    expect(await readdir(dir)).toEqual(['out.json']);
  });

  it('replaces a directory whole, and keeps the old one when filling fails', async () => {
    const root = await mkdtemp(join(tmpdir(), 'procpt-core-'));
    const dir = join(root, 'ckpt');
    await writeDirAtomic(dir, async (tmp) => writeFile(join(tmp, 'a.txt'), 'v1'));
    await expect(
      writeDirAtomic(dir, async (tmp) => {
        await writeFile(join(tmp, 'a.txt'), 'v2');
        throw new Error('disk full');
      }),
    ).rejects.toThrow(/cannot write folder .*disk full/);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('v1');
    expect(await readdir(root)).toEqual(['ckpt']);
  });

  it('streams land only on commit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-core-'));
    const path = join(dir, 'stream.txt');
    const aborted = await createAtomicWriteStream(path);
    aborted.stream.write('partial');
    await aborted.abort();
    expect(await readdir(dir)).toEqual([]);
    const ok = await createAtomicWriteStream(path);
    ok.stream.write('whole');
    await ok.commit();
    expect(await readFile(path, 'utf8')).toBe('whole');
  });
});

describe('Progress', () => {
  it('computes rate and ETA and prints plain lines off a TTY', () => {
    let t = 0;
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    const p = new Progress({ unit: 'tokens', total: 1000, now: () => t, stream, plainEveryMs: 1000 });
    t = 2000;
    p.update(500, 'loss 2.00');
    const s = p.state();
    expect(s.ratePerSecond).toBe(250);
    expect(s.etaMs).toBe(2000);
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('50.0%');
    expect(lines[0]).toContain('ETA 2.0s');
    expect(lines[0]).toContain('loss 2.00');
  });

  it('formats durations', () => {
    expect(formatDuration(4200)).toBe('4.2s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration(3_720_000)).toBe('1h02m');
  });
});
