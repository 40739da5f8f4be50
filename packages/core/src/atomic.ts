import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ProcptError } from './errors.js';

let counter = 0;
/** A sibling temp path: same directory, so the final rename is atomic on one filesystem. */
export function tempPathFor(path: string): string {
  counter++;
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter}`);
}

/**
 * Writes `data` to `path` atomically: temp file, fsync, rename. Readers see the old file or the
 * whole new one, never a half-written file, even if the process is killed mid-write.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new ProcptError('io', `could not write ${path}: ${(error as Error).message}`, {
      hint: 'check that the directory is writable and the disk has room',
      cause: error,
    });
  }
}

/**
 * Builds a directory atomically: `fill` writes into a temp directory which is then renamed onto
 * `dir` (an existing `dir` is replaced). Used for checkpoints.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tempPathFor(dir);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    const old = `${tmp}.old`;
    let hadOld = false;
    try {
      await rename(dir, old);
      hadOld = true;
    } catch {
      // no previous directory
    }
    await rename(tmp, dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    if (error instanceof ProcptError) throw error;
    throw new ProcptError('io', `could not write directory ${dir}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A stream that lands at `path` only when {@link AtomicWriteStream.commit} is called. */
export interface AtomicWriteStream {
  readonly stream: WriteStream;
  readonly tempPath: string;
  /** Flushes, closes and renames onto the final path. */
  commit(): Promise<void>;
  /** Closes and deletes the temp file; the final path is untouched. */
  abort(): Promise<void>;
}

/** Opens a streaming atomic writer for large outputs (token shards, JSONL). */
export async function createAtomicWriteStream(path: string): Promise<AtomicWriteStream> {
  await mkdir(dirname(path), { recursive: true });
  const tempPath = tempPathFor(path);
  const stream = createWriteStream(tempPath);
  const closed = new Promise<void>((resolve, reject) => {
    stream.once('close', resolve);
    stream.once('error', reject);
  });
  return {
    stream,
    tempPath,
    async commit() {
      stream.end();
      await closed;
      await rename(tempPath, path);
    },
    async abort() {
      stream.destroy();
      await closed.catch(() => undefined);
      await rm(tempPath, { force: true });
    },
  };
}

/** Writes a UTF-8 JSON file atomically, pretty-printed. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
