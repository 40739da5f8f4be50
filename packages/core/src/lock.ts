import { hostname } from 'node:os';
import { join } from 'node:path';
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { holdsLock, trackLock } from './cleanup.js';
import { ProcptError } from './errors.js';
import { ensureDir, fsError, isProcessAlive } from './output.js';

/** File name of a folder's lock. */
export const LOCK_FILE = '.procpt.lock';

/** Who holds a lock (the contents of `.procpt.lock`). */
export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** What the holder is doing (e.g. `procpt train`), for the message. */
  command?: string;
}

/** A held folder lock. */
export interface FolderLock {
  readonly folder: string;
  readonly path: string;
  readonly holder: LockHolder;
  /** Deletes the lock file if it is still ours. Safe to call more than once. */
  release(): Promise<void>;
}

/** Options of {@link acquireFolderLock}. */
export interface LockOptions {
  /** What the folder is, for the message ("run dyck-s0", "study"). */
  what?: string;
  /** What this process is doing, stored in the lock (default: the command line). */
  command?: string;
  /** An unreadable lock file older than this is stale (default 10 s: a holder killed mid-write). */
  tornAfterMs?: number;
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.started === 'string') {
      return v as LockHolder;
    }
  } catch {
    // torn
  }
  return undefined;
}

/** Reads the holder of `folder`'s lock, if the folder is locked. */
export async function readLockHolder(folder: string): Promise<LockHolder | undefined> {
  try {
    return parseHolder(await readFile(join(folder, LOCK_FILE), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Renames a stale lock away, checking that what was renamed is the stale one (not a new holder's). */
async function breakStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) {
    // a new holder took the lock in between: give it back (link never replaces an existing file)
    await link(aside, path).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes `<folder>/.procpt.lock` (created with `O_EXCL`, holding pid, host, start time and command),
 * so that two procpt processes never write one run or study folder at once. A lock whose holder is
 * gone (same host, pid not alive; or a torn lock file older than `tornAfterMs`) is stale and taken
 * over; a lock held by a live process, or by another host (whose processes cannot be checked), is a
 * `usage` ProcptError (exit 2) naming the holder. The lock is released by `release()`, and on exit,
 * Ctrl-C or SIGTERM.
 */
export async function acquireFolderLock(folder: string, options: LockOptions = {}): Promise<FolderLock> {
  const what = options.what ?? 'folder';
  await ensureDir(folder);
  const path = join(folder, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    command: options.command ?? ['procpt', ...process.argv.slice(2)].join(' '),
  };
  const text = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await writeFile(path, text, { flag: 'wx' });
      const untrack = trackLock(path, text);
      let released = false;
      return {
        folder,
        path,
        holder,
        async release() {
          if (released) return;
          released = true;
          untrack();
          const now = await readFile(path, 'utf8').catch(() => undefined);
          if (now === text) await unlink(path).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, 'lock', folder);
    }
    const existing = await readFile(path, 'utf8').catch(() => undefined);
    if (existing === undefined) continue; // released meanwhile
    const other = parseHolder(existing);
    if (!other) {
      const age =
        Date.now() -
        (await stat(path).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        ));
      if (age > (options.tornAfterMs ?? 10_000)) {
        await breakStale(path, existing);
        continue;
      }
      throw new ProcptError('usage', `${what} ${folder} is being locked by another procpt process`, {
        hint: `try again in a moment; if no procpt process uses it, delete ${path}`,
      });
    }
    const sameHost = other.host === hostname();
    const mine = sameHost && other.pid === process.pid;
    const self = mine && holdsLock(path);
    // same host: stale when its process is gone (or is this one, which does not hold it: a reused pid)
    if (sameHost && !self && (mine || !isProcessAlive(other.pid))) {
      await breakStale(path, existing);
      continue;
    }
    throw new ProcptError(
      'usage',
      `${what} ${folder} is in use by ${self ? 'this process' : `process ${other.pid}`} on ${other.host} since ${other.started}${other.command ? ` (${other.command})` : ''}`,
      {
        hint: sameHost
          ? 'wait for it to finish, or stop it first'
          : `wait for it to finish; if that process is gone, delete ${path}`,
      },
    );
  }
  throw new ProcptError('runtime', `could not lock ${folder}: its lock keeps changing hands`);
}
