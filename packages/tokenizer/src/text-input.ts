import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';

const WHITESPACE = /\s/u;

/** Options of {@link rechunkText} and {@link readTextChunks}. */
export interface TextChunkOptions {
  /** Target chunk length in UTF-16 code units (default 65,536). */
  chunkChars?: number;
  /**
   * Longest a chunk may grow while no whitespace boundary is found (default 16 × chunkChars);
   * then it is cut at a code-point boundary.
   */
  maxChunkChars?: number;
}

function isSafeCut(text: string, i: number): boolean {
  return WHITESPACE.test(text[i] as string) && !WHITESPACE.test(text[i - 1] as string);
}

/**
 * An index at which `text` can be cut without changing its GPT-2 pre-tokenisation: just before a
 * whitespace character that follows a non-whitespace one (no GPT-2 pre-token spans such a
 * boundary, and the pattern has no look-behind). Returns the last such index ≤ `target`, else the
 * first one after it, else -1.
 */
export function findSafeCut(text: string, target: number = text.length - 1): number {
  const start = Math.min(target, text.length - 1);
  for (let i = start; i > 0; i--) if (isSafeCut(text, i)) return i;
  for (let i = Math.max(start + 1, 1); i < text.length; i++) if (isSafeCut(text, i)) return i;
  return -1;
}

/**
 * Regroups a stream of text pieces into chunks of about `chunkChars` characters, cut only where
 * {@link findSafeCut} allows, so that tokenizing the chunks one by one gives exactly the ids of
 * tokenizing the whole text (unless a run longer than `maxChunkChars` has no such boundary).
 */
export async function* rechunkText(
  pieces: AsyncIterable<string> | Iterable<string>,
  options: TextChunkOptions = {},
): AsyncGenerator<string> {
  const chunkChars = options.chunkChars ?? 1 << 14;
  const maxChunkChars = Math.max(chunkChars, options.maxChunkChars ?? chunkChars * 16);
  let pending = '';
  for await (const piece of pieces) {
    pending += piece;
    while (pending.length >= chunkChars) {
      let cut = findSafeCut(pending, chunkChars);
      if (cut <= 0) {
        if (pending.length < maxChunkChars) break;
        cut = chunkChars;
        const code = pending.charCodeAt(cut - 1);
        if (code >= 0xd800 && code <= 0xdbff) cut--; // keep surrogate pairs together
      }
      yield pending.slice(0, cut);
      pending = pending.slice(cut);
    }
  }
  if (pending !== '') yield pending;
}

/** Options of {@link readTextChunks}. */
export interface ReadTextOptions extends TextChunkOptions {
  /** Called with the number of bytes read from disk, as they are read (for progress bars). */
  onBytes?: (bytes: number) => void;
}

/**
 * Streams a UTF-8 text file as chunks cut at whitespace boundaries (see {@link rechunkText}).
 * Invalid UTF-8 becomes U+FFFD. Memory is bounded by the chunk size, not the file size.
 */
export async function* readTextChunks(path: string, options: ReadTextOptions = {}): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8');
  const onBytes = options.onBytes;
  async function* decoded(): AsyncGenerator<string> {
    const stream = createReadStream(path, { highWaterMark: 1 << 16 });
    try {
      for await (const buf of stream as AsyncIterable<Buffer>) {
        onBytes?.(buf.length);
        yield decoder.decode(buf, { stream: true });
      }
    } catch (error) {
      throw new ProcptError('io', `cannot read ${path}: ${(error as Error).message}`, {
        hint: 'check the path and its permissions',
        cause: error,
      });
    }
    yield decoder.decode();
  }
  yield* rechunkText(decoded(), options);
}

/**
 * The files of an input path: the file itself, or every regular file under a directory
 * (recursively, hidden names skipped), sorted by path so runs are reproducible.
 */
export async function listInputFiles(input: string): Promise<string[]> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch (error) {
    throw new ProcptError('usage', `input ${input} does not exist or cannot be read`, {
      hint: 'pass a text file or a directory of text files',
      cause: error,
    });
  }
  if (info.isFile()) return [input];
  if (!info.isDirectory()) throw new ProcptError('usage', `input ${input} is neither a file nor a directory`);
  const files: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) files.push(full);
    }
  }
  await walk(input);
  if (files.length === 0) {
    throw new ProcptError('usage', `input directory ${input} contains no files`, {
      hint: 'hidden files (names starting with a dot) are skipped',
    });
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
