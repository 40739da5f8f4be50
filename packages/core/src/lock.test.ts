import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, ProcptError, acquireFolderLock, cleanupNowSync, readLockHolder } from './index.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-lock-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
const fresh = () => join(root, `f-${n++}`);
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid as number;

async function refused(p: Promise<unknown>): Promise<ProcptError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ProcptError);
  return e as ProcptError;
}

describe('folder locks', () => {
  it('holds pid, host and start time; a second taker is refused (exit 2) with the holder named', async () => {
    const folder = fresh();
    const lock = await acquireFolderLock(folder, { what: 'run demo', command: 'procpt train' });
    const holder = await readLockHolder(folder);
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), command: 'procpt train' });
    const e = await refused(acquireFolderLock(folder, { what: 'run demo' }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/^run demo .* is in use by this process on .* since .*\(procpt train\)$/);
    await lock.release();
    expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
    await (await acquireFolderLock(folder)).release();
  });

  it('refuses a lock held by another live process, naming its pid', async () => {
    const folder = fresh();
    const first = await acquireFolderLock(folder);
    await first.release();
    writeFileSync(
      join(folder, LOCK_FILE),
      JSON.stringify({
        pid: process.ppid,
        host: hostname(),
        started: '2026-01-01T00:00:00.000Z',
        command: 'procpt study run all',
      }),
    );
    const e = await refused(acquireFolderLock(folder, { what: 'study' }));
    expect(e.message).toContain(`is in use by process ${process.ppid} on ${hostname()}`);
    expect(e.message).toContain('procpt study run all');
  });

  it('takes over a stale lock (same host, process gone) and a torn one', async () => {
    const folder = fresh();
    await (await acquireFolderLock(folder)).release();
    writeFileSync(
      join(folder, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: hostname(), started: '2026-01-01T00:00:00.000Z' }),
    );
    const lock = await acquireFolderLock(folder);
    expect(JSON.parse(readFileSync(join(folder, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await lock.release();
    writeFileSync(join(folder, LOCK_FILE), '');
    await refused(acquireFolderLock(folder)); // torn but fresh: its writer may still be writing
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(join(folder, LOCK_FILE), old, old);
    await (await acquireFolderLock(folder)).release();
  });

  it("never breaks another host's lock (its processes cannot be checked from here)", async () => {
    const folder = fresh();
    await (await acquireFolderLock(folder)).release();
    writeFileSync(
      join(folder, LOCK_FILE),
      JSON.stringify({ pid: deadPid(), host: 'other-host', started: '2026-01-01T00:00:00.000Z' }),
    );
    const e = await refused(acquireFolderLock(folder));
    expect(e.message).toMatch(/on other-host/);
    expect(e.hint).toMatch(/delete .*\.procpt\.lock/);
  });

  it('is released by the exit/signal cleanup', async () => {
    const folder = fresh();
    await acquireFolderLock(folder);
    cleanupNowSync();
    expect(existsSync(join(folder, LOCK_FILE))).toBe(false);
  });
});
