import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtomicStep, observeAtomicSteps } from './atomic.js';
import {
  ProcptError,
  cleanupNowSync,
  createAtomicWriteStream,
  ensureDir,
  fsError,
  prepareOutput,
  recoverOutputsSync,
  writeDirAtomic,
  writeFileAtomic,
} from './index.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-output-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let n = 0;
function fresh(): string {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The pid of a process that has exited (a stand-in for a killed procpt). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

async function refusal(p: Promise<unknown>): Promise<ProcptError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProcptError);
  return error as ProcptError;
}

const canChmod = process.getuid?.() !== 0; // root ignores permission bits

describe('prepareOutput: what is refused up front', () => {
  it('refuses an empty path instead of renaming onto ""', async () => {
    const e = await refusal(prepareOutput('', { kind: 'file' }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/output path .* is empty/);
    const w = await refusal(writeFileAtomic('', 'x'));
    expect(w.message).toMatch(/is empty/);
  });

  it('refuses /proc, /sys and /dev paths by name, before touching them', async () => {
    for (const path of ['/proc/x', '/sys/kernel/x', '/dev/full', '/dev/null', '/proc/self/fd/1']) {
      const e = await refusal(prepareOutput(path, { kind: 'file', force: true }));
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/a system folder, not storage/);
    }
    const started = Date.now();
    const e = await refusal(prepareOutput('/proc/x', { kind: 'folder' }));
    expect(e.message).toContain('/proc');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('refuses a FIFO (stand-in for a device node), with or without --force', async () => {
    const dir = fresh();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const kind of ['file', 'folder', 'container'] as const) {
      const e = await refusal(prepareOutput(fifo, { kind, force: true }));
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(/FIFO/);
    }
    // the writers refuse too, and leave the FIFO as it was
    await refusal(writeFileAtomic(fifo, 'x', { force: true }));
    await refusal(createAtomicWriteStream(fifo, { force: true }));
    expect(readdirSync(dir)).toEqual(['pipe']);
  });

  it('refuses a link to a FIFO (stand-in for /dev/full behind a link) and a socket', async () => {
    const dir = fresh();
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync(join(dir, 'pipe'), join(dir, 'full'));
    const e = await refusal(prepareOutput(join(dir, 'full'), { kind: 'file', force: true }));
    expect(e.message).toMatch(/link to a FIFO/);
    const socket = join(dir, 's.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(socket, r));
    try {
      const s = await refusal(prepareOutput(socket, { kind: 'file', force: true }));
      expect(s.message).toMatch(/socket/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('refuses a path that reaches /sys through a linked folder', async () => {
    const dir = fresh();
    symlinkSync('/sys', join(dir, 'sys'));
    const e = await refusal(prepareOutput(join(dir, 'sys', 'x.bin'), { kind: 'file', force: true }));
    expect(e.message).toMatch(/under \/sys/);
  });

  it('refuses a link to a regular file unless --force (and then replaces the link, not its target)', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'target.txt'), 'keep me');
    symlinkSync(join(dir, 'target.txt'), join(dir, 'out.txt'));
    const e = await refusal(writeFileAtomic(join(dir, 'out.txt'), 'new'));
    expect(e.message).toMatch(/symbolic link/);
    await writeFileAtomic(join(dir, 'out.txt'), 'new', { force: true });
    expect(readFileSync(join(dir, 'target.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('new');
  });

  it('refuses a file where a folder goes and a folder where a file goes, unless --force', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'shard.bin'), 'user data');
    const e = await refusal(writeDirAtomic(join(dir, 'shard.bin'), async () => undefined));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/is a file, not a folder/);
    expect(readFileSync(join(dir, 'shard.bin'), 'utf8')).toBe('user data');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'a'), 'a');
    const f = await refusal(writeFileAtomic(join(dir, 'sub'), 'x'));
    expect(f.message).toMatch(/is a folder, not a file/);
    expect(readFileSync(join(dir, 'sub', 'a'), 'utf8')).toBe('a');
    // --force replaces across kinds, atomically
    await writeDirAtomic(join(dir, 'shard.bin'), async (t) => writeFile(join(t, 'x'), 'x'), { force: true });
    expect(readdirSync(join(dir, 'shard.bin'))).toEqual(['x']);
    await writeFileAtomic(join(dir, 'sub'), 'now a file', { force: true });
    expect(readFileSync(join(dir, 'sub'), 'utf8')).toBe('now a file');
    expect(readdirSync(dir).sort()).toEqual(['shard.bin', 'sub']);
  });

  it("never replaces a folder of someone else's files without --force; empty and owned ones are fine", async () => {
    const dir = fresh();
    const out = join(dir, 'ckpt');
    mkdirSync(out);
    writeFileSync(join(out, 'thesis.tex'), 'years of work');
    const owned = (p: string) => existsSync(join(p, 'procpt.json'));
    const e = await refusal(
      writeDirAtomic(out, async (t) => writeFile(join(t, 'procpt.json'), '{}'), {
        owned,
        what: 'checkpoint',
      }),
    );
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/already exists and is not a checkpoint written by procpt/);
    expect(e.hint).toMatch(/--force/);
    expect(readFileSync(join(out, 'thesis.tex'), 'utf8')).toBe('years of work');
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await writeDirAtomic(empty, async (t) => writeFile(join(t, 'procpt.json'), '{}'), { owned });
    await writeDirAtomic(empty, async (t) => writeFile(join(t, 'procpt.json'), '{"v":2}'), { owned });
    expect(readFileSync(join(empty, 'procpt.json'), 'utf8')).toBe('{"v":2}');
  });

  it('a container may be a linked folder; a file in its place is always refused', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'runs'));
    await expect(prepareOutput(join(dir, 'runs'), { kind: 'container' })).resolves.toMatchObject({
      exists: true,
    });
    writeFileSync(join(dir, 'file'), 'x');
    const e = await refusal(prepareOutput(join(dir, 'file'), { kind: 'container', force: true }));
    expect(e.message).toMatch(/is a file; procpt needs a folder/);
  });

  it('reports a file in the parent chain in one line', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'data'), 'x');
    const e = await refusal(writeFileAtomic(join(dir, 'data', 'sub', 'out.json'), '{}'));
    expect(e.message).toMatch(/data is a file, not a folder/);
    const m = await refusal(ensureDir(join(dir, 'data', 'sub')));
    expect(m.message).toMatch(/is a file, not a folder/);
  });

  it.skipIf(!canChmod)('reports a read-only folder as permission denied, not ENOENT', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'ro'));
    await chmod(join(dir, 'ro'), 0o555);
    const e = await refusal(writeFileAtomic(join(dir, 'ro', 'deep', 'x.bin'), 'x'));
    expect(e.message).toMatch(/permission denied/);
    await chmod(join(dir, 'ro'), 0o755);
  });

  it('names full disks and read-only filesystems in one line', () => {
    const err = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(fsError(err('ENOSPC'), 'write', 'x.bin').userMessage).toBe(
      'cannot write x.bin: no space left on the device (free some space or write elsewhere)',
    );
    expect(fsError(err('EROFS'), 'write', 'x.bin').message).toBe(
      'cannot write x.bin: the filesystem is read-only',
    );
    expect(fsError(err('EACCES'), 'write', 'x.bin').exitCode).toBe(1);
  });
});

describe('ensureDir', () => {
  it('creates missing parents one at a time and accepts existing folders', async () => {
    const dir = fresh();
    await ensureDir(join(dir, 'a', 'b', 'c'));
    await ensureDir(join(dir, 'a', 'b', 'c'));
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['c']);
  });
});

describe('streams: full disk and interrupted writers', () => {
  it('a write error (full disk) is one io error from commit, the temp file is removed', async () => {
    const dir = fresh();
    const w = await createAtomicWriteStream(join(dir, 'x.jsonl'));
    w.stream.write('partial');
    w.stream.destroy(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    const e = await refusal(w.commit());
    expect(e.code).toBe('io');
    expect(e.message).toBe(`cannot write ${join(dir, 'x.jsonl')}: no space left on the device`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cleanupNowSync (what exit and SIGINT/SIGTERM run) deletes temp files in flight', async () => {
    const dir = fresh();
    const w = await createAtomicWriteStream(join(dir, 'big.bin'));
    await new Promise<void>((r) => w.stream.write(Buffer.alloc(1 << 16), () => r()));
    expect(readdirSync(dir)).toHaveLength(1);
    expect(cleanupNowSync()).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir)).toEqual([]);
    await w.abort();
  });
});

describe('recovery of what killed writers left', () => {
  it('deletes stale temp files, restores a moved-aside old copy, promotes a complete new copy', () => {
    const dir = fresh();
    const dead = deadPid();
    writeFileSync(join(dir, `.x.bin.tmp-${dead}-1`), 'partial');
    mkdirSync(join(dir, `.good.tmp-${dead}-3.old`)); // the pre-policy writer's moved-aside copy
    writeFileSync(join(dir, `.good.tmp-${dead}-3.old`, 'w'), 'old good');
    mkdirSync(join(dir, `.best.new-${dead}-4`));
    writeFileSync(join(dir, `.best.new-${dead}-4`, 'w'), 'new best');
    mkdirSync(join(dir, `.best.old-${dead}-5`));
    mkdirSync(join(dir, 'final'));
    mkdirSync(join(dir, `.final.old-${dead}-6`));
    writeFileSync(join(dir, `.live.tmp-${process.ppid}-1`), 'another live process');
    writeFileSync(join(dir, '.hidden-user-file'), 'not ours');
    const report = recoverOutputsSync(dir);
    expect(report.restored.sort()).toEqual([join(dir, 'best'), join(dir, 'good')]);
    expect(readFileSync(join(dir, 'good', 'w'), 'utf8')).toBe('old good');
    expect(readFileSync(join(dir, 'best', 'w'), 'utf8')).toBe('new best');
    expect(readdirSync(dir).sort()).toEqual(
      ['.hidden-user-file', `.live.tmp-${process.ppid}-1`, 'best', 'final', 'good'].sort(),
    );
  });

  it('keeps the only copy of a missing output while another live writer works on it', () => {
    const dir = fresh();
    const dead = deadPid();
    mkdirSync(join(dir, `.ckpt.old-${dead}-1`));
    mkdirSync(join(dir, `.ckpt.tmp-${dead}-2`));
    mkdirSync(join(dir, `.ckpt.tmp-${process.ppid}-3`)); // a live process is writing a new ckpt
    recoverOutputsSync(dir);
    expect(readdirSync(dir).sort()).toEqual([`.ckpt.old-${dead}-1`, `.ckpt.tmp-${process.ppid}-3`]);
  });

  it('prepareOutput sweeps stale leftovers next to the output (the next run cleans up)', async () => {
    const dir = fresh();
    const dead = deadPid();
    writeFileSync(join(dir, `.x.bin.tmp-${dead}-7`), Buffer.alloc(4096));
    writeFileSync(join(dir, `.other.jsonl.tmp-${dead}-8`), 'x');
    await writeFileAtomic(join(dir, 'x.bin'), 'x');
    expect(readdirSync(dir)).toEqual(['x.bin']);
  });
});

describe('strict atomic replacement: a kill at every point leaves the old or the new copy', () => {
  async function killAtEveryPoint(
    write: (target: string, version: string) => Promise<void>,
    read: (path: string) => string,
  ): Promise<AtomicStep[]> {
    const dir = fresh();
    const target = join(dir, 'good');
    await write(target, 'old');
    const snapshots: { step: AtomicStep; dir: string }[] = [];
    const stop = observeAtomicSteps((step) => {
      const copy = join(root, `snap-${n++}`);
      cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
      snapshots.push({ step, dir: copy });
    });
    try {
      await write(target, 'new');
    } finally {
      stop();
    }
    for (const snap of snapshots) {
      // before recovery, the old or the new copy is findable: under its name or as a .good.new/.old copy
      const names = readdirSync(snap.dir);
      const candidates = names.filter((x) => x === 'good' || /^\.good\.(new|old)-/.test(x));
      expect(candidates.map((c) => read(join(snap.dir, c))).some((v) => v === 'old' || v === 'new')).toBe(
        true,
      );
      // the next run recovers: `good` is whole (old or new), no leftovers
      recoverOutputsSync(snap.dir);
      expect(readdirSync(snap.dir)).toEqual(['good']);
      const v = read(join(snap.dir, 'good'));
      expect(['old', 'new']).toContain(v);
      if (snap.step === 'new-in-place' || snap.step === 'done') expect(v).toBe('new');
    }
    expect(read(target)).toBe('new');
    return snapshots.map((s) => s.step);
  }

  it('folders (checkpoints): written → complete → old-aside → new-in-place → done', async () => {
    const steps = await killAtEveryPoint(
      (target, v) => writeDirAtomic(target, async (t) => writeFile(join(t, 'w'), v)),
      (p) => readFileSync(join(p, 'w'), 'utf8'),
    );
    expect(steps).toEqual(['written', 'complete', 'old-aside', 'new-in-place', 'done']);
  });

  it('files: written → new-in-place (one rename)', async () => {
    const steps = await killAtEveryPoint(
      (target, v) => writeFileAtomic(target, v),
      (p) => readFileSync(p, 'utf8'),
    );
    expect(steps).toEqual(['written', 'new-in-place', 'done']);
  });

  it('a failure between the steps rolls back to the old copy, with nothing left over', async () => {
    for (const failAt of ['complete', 'old-aside'] as const) {
      const dir = fresh();
      const target = join(dir, 'best');
      await writeDirAtomic(target, async (t) => writeFile(join(t, 'w'), 'old'));
      const stop = observeAtomicSteps((step) => {
        if (step === failAt) throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
      });
      try {
        const e = await refusal(writeDirAtomic(target, async (t) => writeFile(join(t, 'w'), 'new')));
        expect(e.message).toMatch(/input\/output error/);
      } finally {
        stop();
      }
      expect(readdirSync(dir)).toEqual(['best']);
      expect(await readFile(join(target, 'w'), 'utf8')).toBe('old');
    }
  });
});

describe('the temp directory of a folder write', () => {
  it('leaves nothing behind after a failing fill', async () => {
    const dir = fresh();
    await refusal(writeDirAtomic(join(dir, 'x'), async () => Promise.reject(new Error('boom'))));
    expect(await readdir(dir)).toEqual([]);
  });
});
