import { type Stats, lstatSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { access, constants, lstat, mkdir, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { fsyncPathSync, isTempInFlight, setRecoverHook } from './cleanup.js';
import { ProcptError } from './errors.js';

/**
 * What an output path is to its writer:
 * - `file`: a regular file, replaced as a whole (token shard, JSONL, JSON);
 * - `folder`: a folder replaced as a whole (a checkpoint);
 * - `container`: a folder procpt writes files *into* (a run, a study, a corpus folder); it is created
 *   when absent and never replaced or deleted as a whole; a link to a folder is followed.
 */
export type OutputKind = 'file' | 'folder' | 'container';

/** Options of {@link prepareOutput}. */
export interface OutputOptions {
  kind: OutputKind;
  /**
   * Replace an existing output that `owned` does not recognise as procpt's (or, for a container,
   * write into it). Never allows device nodes, FIFOs, sockets or paths under `/proc`, `/sys`, `/dev`.
   */
  force?: boolean;
  /**
   * Whether an existing, non-empty output of the right kind was written by procpt (a checkpoint's
   * `procpt.json`, a shard's header, a run folder's `config.resolved.json`). Default: yes for any
   * regular file or folder (internal files of folders procpt owns). Empty files and folders are
   * always replaceable: nothing is lost.
   */
  owned?: (path: string) => boolean | Promise<boolean>;
  /** What the output is, for messages ("checkpoint", "token shard", "run folder"). */
  what?: string;
  /** Replaces the default hint of the "not procpt's" refusal. */
  forceHint?: string;
}

/** What {@link prepareOutput} found. */
export interface PreparedOutput {
  /** The absolute path. */
  path: string;
  /** Whether something (of the right kind, or replaceable with `force`) is there now. */
  exists: boolean;
}

/** Paths procpt never writes under: kernel and device file systems, not storage. */
export const SYSTEM_ROOTS: readonly string[] = ['/proc', '/sys', '/dev'];

/** The system root (`/proc`, `/sys`, `/dev`) that contains the absolute path `path`, if any. */
export function systemRootOf(path: string): string | undefined {
  return SYSTEM_ROOTS.find((root) => path === root || path.startsWith(`${root}${sep}`));
}

const REASONS: Record<string, [string, string?]> = {
  ENOSPC: ['no space left on the device', 'free some space or write elsewhere'],
  EDQUOT: ['disk quota exceeded', 'free some space or write elsewhere'],
  EROFS: ['the filesystem is read-only', 'write to a writable folder'],
  EACCES: ['permission denied', 'write to a folder you can write to'],
  EPERM: ['operation not permitted', 'write to a folder you can write to'],
  ENOTDIR: ['a part of the path is a file, not a folder'],
  EISDIR: ['it is a folder'],
  ENOENT: ['a folder on the path does not exist'],
  ENAMETOOLONG: ['the name is too long'],
  EMFILE: ['too many open files'],
  EIO: ['input/output error (a failing disk?)'],
  ENXIO: ['no such device'],
};

/**
 * A one-line `io` {@link ProcptError} for a failed file-system call: `cannot <action> <path>: <reason>`
 * with a hint for the usual causes (full disk, read-only filesystem, permissions). A ProcptError is
 * returned as it is.
 */
export function fsError(error: unknown, action: string, path: string): ProcptError {
  if (error instanceof ProcptError) return error;
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const [reason, hint] = REASONS[code] ?? [(error as Error)?.message ?? String(error)];
  return new ProcptError('io', `cannot ${action} ${path}: ${reason}`, {
    ...(hint ? { hint } : {}),
    cause: error,
  });
}

function typeOf(s: Stats): string | undefined {
  if (s.isCharacterDevice()) return 'character device';
  if (s.isBlockDevice()) return 'block device';
  if (s.isFIFO()) return 'FIFO (named pipe)';
  if (s.isSocket()) return 'socket';
  return undefined;
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsError(error, 'inspect', path);
  }
}

/** The nearest ancestor of `abs` that exists, with its stats (following links). */
async function nearestExisting(abs: string): Promise<{ path: string; stats: Stats }> {
  let cur = abs;
  for (;;) {
    try {
      return { path: cur, stats: await stat(cur) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fsError(error, 'inspect', cur);
      const parent = dirname(cur);
      if (parent === cur) throw fsError(error, 'inspect', cur);
      cur = parent;
    }
  }
}

function refuseSystem(path: string, abs: string): void {
  const root = systemRootOf(abs);
  if (root) {
    throw new ProcptError(
      'usage',
      `refusing to write ${path}: it is under ${root}, a system folder, not storage`,
      { hint: 'write to a regular folder' },
    );
  }
}

async function isEmpty(path: string, stats: Stats): Promise<boolean> {
  if (stats.isFile()) return stats.size === 0;
  // a folder holding only procpt's lock (of a process that is gone, or of this one) is empty
  if (stats.isDirectory()) return (await readdir(path)).every((name) => name === '.procpt.lock');
  return false;
}

/**
 * The output policy of every procpt writer, checked before anything is written. Outputs are regular
 * files or folders that procpt creates:
 * - an empty path, a path under `/proc`, `/sys` or `/dev` (also through links), a device node, a
 *   FIFO or a socket (also behind a link) is refused, `--force` or not (`usage`, exit 2);
 * - a missing output is fine when its nearest existing parent is a writable folder (a file there, a
 *   read-only filesystem or a folder without write permission is reported now, in one line);
 * - an existing output of the wrong kind, a link, or one that `owned` does not recognise is refused
 *   unless `force` (an existing, empty file or folder is always fine);
 * - stale leftovers of killed procpt writers next to the output are recovered first
 *   ({@link recoverOutputsSync}).
 *
 * Writers then replace the output atomically ({@link writeFileAtomic}, {@link writeDirAtomic}).
 */
export async function prepareOutput(path: string, options: OutputOptions): Promise<PreparedOutput> {
  const what = options.what ?? (options.kind === 'file' ? 'file' : 'folder');
  if (typeof path !== 'string' || path.trim() === '') {
    throw new ProcptError('usage', `the output path of the ${what} is empty`, {
      hint: 'pass a file or folder name',
    });
  }
  if (path.includes('\0')) {
    throw new ProcptError('usage', `the output path ${JSON.stringify(path)} contains a NUL byte`);
  }
  const abs = resolve(path);
  refuseSystem(path, abs);
  const parent = dirname(abs);
  const anchor = await nearestExisting(parent);
  refuseSystem(path, await realpath(anchor.path).catch(() => anchor.path));
  if (!anchor.stats.isDirectory()) {
    throw new ProcptError('usage', `cannot write ${path}: ${anchor.path} is a file, not a folder`, {
      hint: 'choose another path',
    });
  }
  try {
    await access(anchor.path, constants.W_OK);
  } catch (error) {
    throw fsError(error, 'write', path);
  }
  if (anchor.path === parent) recoverOutputsSync(parent);

  const found = await lstatOrUndefined(abs);
  if (!found) return { path: abs, exists: false };
  const special = typeOf(found);
  if (special) {
    throw new ProcptError(
      'usage',
      `refusing to write ${path}: it is a ${special}; procpt writes only regular files and folders`,
      { hint: 'choose a path in a regular folder' },
    );
  }
  let stats = found;
  if (found.isSymbolicLink()) {
    const target = await stat(abs).catch(() => undefined);
    const targetType = target && typeOf(target);
    if (targetType) {
      throw new ProcptError(
        'usage',
        `refusing to write ${path}: it is a link to a ${targetType}; procpt writes only regular files and folders`,
        { hint: 'choose a path in a regular folder' },
      );
    }
    refuseSystem(path, await realpath(abs).catch(() => abs));
    if (options.kind === 'container' && target?.isDirectory()) {
      stats = target;
    } else if (!options.force) {
      throw new ProcptError('usage', `${path} is a symbolic link; procpt will not replace it`, {
        hint: 'pass --force to replace the link itself (its target is left alone), or choose another path',
      });
    } else {
      return { path: abs, exists: true };
    }
  }
  const wantsFile = options.kind === 'file';
  if (stats.isDirectory() !== !wantsFile) {
    if (options.kind === 'container') {
      throw new ProcptError('usage', `${path} is a file; procpt needs a folder there`, {
        hint: 'choose another path',
      });
    }
    if (!options.force) {
      throw new ProcptError(
        'usage',
        `${path} is a ${stats.isDirectory() ? 'folder' : 'file'}, not a ${what}; procpt will not replace it`,
        { hint: 'pass --force to replace it, or choose another path' },
      );
    }
    return { path: abs, exists: true };
  }
  if (options.force || (await isEmpty(abs, stats))) return { path: abs, exists: true };
  const owned = options.owned ? await options.owned(abs) : true;
  if (!owned) {
    throw new ProcptError(
      'usage',
      options.kind === 'container'
        ? `${path} already holds files and is not procpt's ${what}`
        : `${path} already exists and is not a ${what} written by procpt; procpt will not replace it`,
      {
        hint:
          options.forceHint ??
          (options.kind === 'container'
            ? 'choose another folder, or pass --force to write into it (nothing there is deleted)'
            : 'pass --force to replace it, or choose another path'),
      },
    );
  }
  return { path: abs, exists: true };
}

/**
 * Creates a folder and its missing parents, one level at a time, failing fast with a one-line
 * error (Node's recursive `mkdir` loops forever on some paths such as `/proc/x`). An existing
 * folder is fine; a file in the way is a `usage` error.
 */
export async function ensureDir(path: string): Promise<void> {
  const abs = resolve(path);
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let s: Stats | undefined;
    try {
      s = await stat(cur);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') {
        if (code === 'ENOTDIR') {
          missing.push(cur);
          cur = dirname(cur);
          continue;
        }
        throw fsError(error, 'create folder', path);
      }
    }
    if (s) {
      if (!s.isDirectory()) {
        throw new ProcptError('usage', `cannot create folder ${path}: ${cur} is a file, not a folder`, {
          hint: 'choose another path',
        });
      }
      break;
    }
    missing.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const dir of missing.reverse()) {
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && (await stat(dir)).isDirectory()) continue;
      throw fsError(error, 'create folder', dir);
    }
  }
}

/** A leftover of an atomic write: `.<name>.tmp-<pid>-<n>`, `.<name>.new-<pid>-<n>`, `.<name>.old-<pid>-<n>`. */
interface Leftover {
  path: string;
  base: string;
  stage: 'tmp' | 'new' | 'old';
  pid: number;
  seq: number;
}

// `.x.tmp-<pid>-<n>.old` is the moved-aside copy of the writer procpt had before strict replacement.
const LEFTOVER = /^\.(.+)\.(tmp|new|old)-(\d+)-(\d+)(\.old)?$/;

/** Parses a sibling name written by procpt's atomic writers (undefined for any other name). */
export function parseLeftover(dir: string, name: string): Leftover | undefined {
  const m = LEFTOVER.exec(name);
  if (!m) return undefined;
  const stage = (m[5] ? 'old' : m[2]) as Leftover['stage'];
  return { path: join(dir, name), base: m[1] as string, stage, pid: Number(m[3]), seq: Number(m[4]) };
}

/** True when a process with this id is alive on this host (EPERM: alive, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(l: Leftover): boolean {
  if (l.pid === process.pid) return !isTempInFlight(l.path);
  return !isProcessAlive(l.pid);
}

/** What {@link recoverOutputsSync} did. */
export interface RecoveryReport {
  /** Outputs put back under their own name (from a complete new copy, else the old copy). */
  restored: string[];
  /** Leftovers deleted. */
  removed: string[];
}

function mtime(path: string): number {
  try {
    return lstatSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Recovers what killed procpt writers left in `dir` (only leftovers of processes that are gone):
 * incomplete temp copies (`.x.tmp-*`) are deleted; when `x` itself is missing, the newest complete
 * new copy (`.x.new-*`) is renamed to `x`, else the newest moved-aside old copy (`.x.old-*`); every
 * other leftover of `x` is deleted. After it, each output is whole under its own name. Assumes one
 * host writes a folder (the run and study locks make sure of that).
 */
export function recoverOutputsSync(dir: string): RecoveryReport {
  const report: RecoveryReport = { restored: [], removed: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return report;
  }
  const groups = new Map<string, Leftover[]>();
  for (const name of names) {
    const l = parseLeftover(dir, name);
    if (!l) continue;
    groups.set(l.base, [...(groups.get(l.base) ?? []), l]);
  }
  for (const [base, all] of groups) {
    const stale = all.filter(isStale);
    if (stale.length === 0) continue;
    const target = join(dir, base);
    let present = true;
    try {
      lstatSync(target);
    } catch {
      present = false;
    }
    // `x` is missing while another live writer works on it: keep the only copies (new/old) for now
    let keepCopies = !present && stale.length !== all.length;
    if (!present && !keepCopies) {
      const newest = (stage: Leftover['stage']) =>
        stale.filter((l) => l.stage === stage).sort((a, b) => mtime(b.path) - mtime(a.path))[0];
      const pick = newest('new') ?? newest('old');
      if (pick) {
        try {
          renameSync(pick.path, target);
          report.restored.push(target);
          stale.splice(stale.indexOf(pick), 1);
          fsyncPathSync(dir);
        } catch {
          // another process got there first, or `x` cannot be created: then keep every copy
          try {
            lstatSync(target);
          } catch {
            keepCopies = true;
          }
        }
      }
    }
    for (const l of stale) {
      if (keepCopies && l.stage !== 'tmp') continue;
      try {
        rmSync(l.path, { recursive: true, force: true });
        report.removed.push(l.path);
      } catch {
        // left for the next sweep
      }
    }
  }
  return report;
}

setRecoverHook((dirs) => {
  for (const dir of dirs) recoverOutputsSync(dir);
});
