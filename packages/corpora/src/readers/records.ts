import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { ProcptError } from '@procpt/core';

/** What to do with a malformed record or a truncated file: stop with an error, or skip it and count. */
export type OnError = 'stop' | 'skip';

/** A problem found while reading, with where it is. */
export interface ReadIssue {
  file: string;
  /** 1-based line (JSON Lines) or row (parquet) number, when known. */
  line?: number;
  /** Compressed-file byte offset reached when the problem was found, when known. */
  byte?: number;
  message: string;
}

/** Counts of a read, filled in as it goes. */
export interface ReadStats {
  /** Records (and truncated file tails) skipped under `onError: 'skip'`. */
  skipped: number;
  /** The first skipped problems (at most 20), for the report. */
  issues: ReadIssue[];
}

/** A fresh {@link ReadStats}. */
export function emptyReadStats(): ReadStats {
  return { skipped: 0, issues: [] };
}

function where(issue: ReadIssue): string {
  const at = [
    issue.line === undefined ? '' : `line ${issue.line}`,
    issue.byte === undefined ? '' : `byte ${issue.byte}`,
  ]
    .filter(Boolean)
    .join(', ');
  return at ? `${issue.file} (${at})` : issue.file;
}

/** Reports `issue`: throws a `corrupt` ProcptError under `stop`, counts it under `skip`. */
export function handleIssue(
  issue: ReadIssue,
  onError: OnError,
  stats: ReadStats | undefined,
  cause?: unknown,
): void {
  if (onError === 'stop') {
    throw new ProcptError('corrupt', `${where(issue)}: ${issue.message}`, {
      hint: 'fix or remove the file, or pass --on-error skip to skip bad records (they are counted)',
      cause,
    });
  }
  if (stats) {
    stats.skipped++;
    if (stats.issues.length < 20) stats.issues.push(issue);
  }
}

/** True when the file starts with the gzip magic bytes. */
export async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new ProcptError('io', `cannot open ${path}: ${(error as Error).message}`, { cause: error });
  });
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** One text record of a JSON Lines file. */
export interface JsonlRecord {
  text: string;
  /** 1-based line number. */
  line: number;
}

/** Options of {@link readJsonlRecords}. */
export interface JsonlOptions {
  /** The JSON field holding the text (`text` for C4, `content` for CodeParrot). */
  field: string;
  onError?: OnError;
  stats?: ReadStats;
  /** Skip records on lines ≤ this (resume). */
  afterLine?: number;
  /** Called with compressed bytes as they are read. */
  onBytes?: (bytes: number) => void;
}

/**
 * Streams the `field` strings of a JSON Lines file, gzip-compressed (`.gz`, detected by magic
 * bytes) or plain. Memory is bounded by the longest line. Malformed lines, a missing or
 * non-string field, and a truncated or corrupt gzip stream are reported with file and line
 * (and compressed byte offset) — an error by default, or skipped and counted.
 */
export async function* readJsonlRecords(path: string, options: JsonlOptions): AsyncGenerator<JsonlRecord> {
  const { field, onError = 'stop', stats, afterLine = 0, onBytes } = options;
  const gzip = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 16 });
  let bytes = 0;
  raw.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes?.(chunk.length);
  });
  let source: AsyncIterable<Buffer> = raw as AsyncIterable<Buffer>;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: 1 << 16 });
    raw.on('error', (error) => gunzip.destroy(error));
    source = raw.pipe(gunzip);
  }

  let line = 0;
  const parse = (text: string): JsonlRecord | undefined => {
    line++;
    if (line <= afterLine) return undefined;
    const body = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (body.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      handleIssue(
        { file: path, line, message: `malformed JSON: ${(error as Error).message}` },
        onError,
        stats,
        error,
      );
      return undefined;
    }
    const got = (value as Record<string, unknown> | null)?.[field];
    if (typeof got !== 'string') {
      handleIssue({ file: path, line, message: `no string field "${field}"` }, onError, stats);
      return undefined;
    }
    return { text: got, line };
  };
  // split on newline bytes natively and decode whole lines: faster than streaming text decoding
  let partial: Buffer[] = [];
  try {
    for await (const chunk of source) {
      let start = 0;
      let nl = chunk.indexOf(10);
      while (nl >= 0) {
        const piece = chunk.subarray(start, nl);
        const lineBuf = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
        partial = [];
        const record = parse(lineBuf.toString('utf8'));
        if (record) yield record;
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      if (start < chunk.length) partial.push(chunk.subarray(start));
    }
  } catch (error) {
    if (error instanceof ProcptError) throw error;
    const message = `truncated or corrupt ${gzip ? 'gzip' : 'file'} after line ${line}: ${(error as Error).message}`;
    handleIssue({ file: path, line: line + 1, byte: bytes, message }, onError, stats, error);
    return; // the rest of this file cannot be read
  } finally {
    raw.destroy();
    if (source !== raw) (source as ReturnType<typeof createGunzip>).destroy();
  }
  if (partial.length > 0) {
    const record = parse(Buffer.concat(partial).toString('utf8'));
    if (record) yield record;
  }
}
