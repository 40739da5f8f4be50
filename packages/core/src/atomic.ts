import { type WriteStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncPathSync, trackTemp } from './cleanup.js';
import { ProcptError } from './errors.js';
import { type OutputOptions, ensureDir, fsError, prepareOutput } from './output.js';

let counter = 0;

/**
 * A sibling temp path: same directory, so the final rename is atomic on one filesystem. Named
 * `.<name>.<stage>-<pid>-<n>` so that the next run can tell whose it is and sweep it once that
 * process is gone ({@link recoverOutputsSync}).
 */
export function tempPathFor(path: string, stage: 'tmp' | 'new' | 'old' = 'tmp'): string {
  counter++;
  return join(dirname(path), `.${basename(path)}.${stage}-${process.pid}-${counter}`);
}

/** The output policy options every atomic writer takes (see {@link prepareOutput}). */
export type AtomicWriteOptions = Pick<OutputOptions, 'force' | 'owned' | 'what' | 'forceHint'>;

/** The points of an atomic replacement, in order (what a kill between two of them leaves is tested). */
export type AtomicStep = 'written' | 'complete' | 'old-aside' | 'new-in-place' | 'done';
let observer: ((step: AtomicStep, target: string) => void) | undefined;

/**
 * @internal Test hook: called synchronously at each {@link AtomicStep} of every replacement, so a test
 * can snapshot the disk exactly as a kill at that point would leave it. Returns the unregister function.
 */
export function observeAtomicSteps(fn: (step: AtomicStep, target: string) => void): () => void {
  observer = fn;
  return () => {
    if (observer === fn) observer = undefined;
  };
}

function step(name: AtomicStep, target: string): void {
  observer?.(name, target);
}

/**
 * Moves the complete temp copy `src` to `dst`, strictly atomically: a file replaces a file (or a
 * missing path) by one rename. Anything else (a folder, or a change of kind under `--force`) goes
 * through three renames, and the old copy is touched only after the new one is complete:
 * `src → .dst.new-*` (complete), `dst → .dst.old-*`, `.dst.new-* → dst`, then the old copy is
 * deleted. A kill at any point leaves `dst` whole, or the new or old copy under a `.dst.new-*` /
 * `.dst.old-*` name, which the next run's {@link recoverOutputsSync} renames back to `dst`.
 */
async function commitReplace(src: string, dst: string): Promise<void> {
  const dir = dirname(dst);
  const srcStat = await lstat(src);
  const dstStat = await lstat(dst).catch(() => undefined);
  if (!dstStat || (srcStat.isFile() && dstStat.isFile())) {
    await rename(src, dst);
    fsyncPathSync(dir);
    step('new-in-place', dst);
    step('done', dst);
    return;
  }
  const newPath = tempPathFor(dst, 'new');
  const oldPath = tempPathFor(dst, 'old');
  const untrack = [trackTemp(newPath), trackTemp(oldPath)];
  let aside = false;
  try {
    await rename(src, newPath);
    fsyncPathSync(dir);
    step('complete', dst);
    try {
      await rename(dst, oldPath);
      aside = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    step('old-aside', dst);
    await rename(newPath, dst);
    fsyncPathSync(dir);
    step('new-in-place', dst);
    if (aside) await rm(oldPath, { recursive: true, force: true });
    step('done', dst);
  } catch (error) {
    // roll back: the old copy goes back under its name; the new one is dropped
    if (aside && !existsSync(dst)) {
      try {
        renameSync(oldPath, dst);
      } catch {
        // the next run's recovery restores it
      }
    }
    if (existsSync(newPath)) rmSync(newPath, { recursive: true, force: true });
    throw error;
  } finally {
    for (const u of untrack) u();
  }
}

/**
 * Writes `data` to `path` atomically: temp file, fsync, rename. Readers see the old file or the
 * whole new one, never a half-written file, even if the process is killed mid-write. Checks the
 * {@link prepareOutput} policy first (by default any existing regular file may be replaced; pass
 * `owned` to protect files procpt did not write).
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { path: abs } = await prepareOutput(path, { kind: 'file', ...options });
  await ensureDir(dirname(abs));
  const tmp = tempPathFor(abs);
  const untrack = trackTemp(tmp);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    step('written', abs);
    await commitReplace(tmp, abs);
  } catch (error) {
    await rm(tmp, { force: true });
    throw fsError(error, 'write', path);
  } finally {
    untrack();
  }
}

/**
 * Builds a folder atomically: `fill` writes into a temp folder which then replaces `dir` with the
 * strict scheme of `commitReplace` (the old folder is moved aside only once the new one is
 * complete). Used for checkpoints. Checks the {@link prepareOutput} policy first (pass `owned` to
 * protect folders procpt did not write).
 */
export async function writeDirAtomic(
  dir: string,
  fill: (tmpDir: string) => Promise<void>,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { path: abs } = await prepareOutput(dir, { kind: 'folder', ...options });
  await ensureDir(dirname(abs));
  const tmp = tempPathFor(abs);
  const untrack = trackTemp(tmp);
  try {
    await mkdir(tmp);
    await fill(tmp);
    fsyncPathSync(tmp);
    step('written', abs);
    await commitReplace(tmp, abs);
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw fsError(error, 'write folder', dir);
  } finally {
    untrack();
  }
}

/** A stream that lands at `path` only when {@link AtomicWriteStream.commit} is called. */
export interface AtomicWriteStream {
  readonly stream: WriteStream;
  readonly tempPath: string;
  /** Flushes, closes, fsyncs and renames onto the final path. */
  commit(): Promise<void>;
  /** Closes and deletes the temp file; the final path is untouched. */
  abort(): Promise<void>;
}

/**
 * Opens a streaming atomic writer for large outputs (token shards, JSONL), after checking the
 * {@link prepareOutput} policy. The temp file is registered for deletion on exit, Ctrl-C and
 * SIGTERM; a write error (a full disk) is kept and reported by `commit` as one line, never as an
 * unhandled error event.
 */
export async function createAtomicWriteStream(
  path: string,
  options: AtomicWriteOptions = {},
): Promise<AtomicWriteStream> {
  const { path: abs } = await prepareOutput(path, { kind: 'file', ...options });
  await ensureDir(dirname(abs));
  const tempPath = tempPathFor(abs);
  const untrack = trackTemp(tempPath);
  const stream = createWriteStream(tempPath, { flags: 'wx' });
  let failure: Error | undefined;
  stream.on('error', (error) => {
    // the error that destroyed the stream (ENOSPC, EIO) says more than a later "write after destroy"
    failure = stream.errored ?? failure ?? error;
  });
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  let state: 'open' | 'done' = 'open';
  const discard = async () => {
    if (!stream.destroyed) stream.destroy();
    await closed;
    await rm(tempPath, { force: true });
    untrack();
  };
  return {
    stream,
    tempPath,
    async commit() {
      if (state !== 'open') throw new ProcptError('runtime', `${path}: the atomic writer is already closed`);
      state = 'done';
      try {
        if (failure) throw failure;
        stream.end();
        await closed;
        if (failure) throw failure;
        const handle = await open(tempPath, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        step('written', abs);
        await commitReplace(tempPath, abs);
        untrack();
      } catch (error) {
        await discard();
        throw fsError(error, 'write', path);
      }
    },
    async abort() {
      state = 'done';
      await discard();
    },
  };
}

/** Writes a UTF-8 JSON file atomically, pretty-printed (policy options as {@link writeFileAtomic}). */
export async function writeJsonAtomic(
  path: string,
  value: unknown,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, options);
}
