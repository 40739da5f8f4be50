import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import {
  GZIP_RATIO_FLOOR_BYTES,
  ProcptError,
  formatBytes,
  limitBytes,
  limitValue,
  raiseHint,
} from '@procpt/core';

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
  /** Longest line (one document) in decompressed bytes (default: the `document` limit). */
  maxDocumentBytes?: number;
  /** Most decompressed bytes per compressed byte of a gzip file (default: the `gzipRatio` limit). */
  maxRatio?: number;
}

/**
 * Streams the `field` strings of a JSON Lines file, gzip-compressed (`.gz`, detected by magic
 * bytes) or plain. Memory is bounded: a line longer than `maxDocumentBytes` (the `document` limit,
 * 64 MiB) is a bad record, and a gzip stream that inflates more than `maxRatio` (the `gzipRatio`
 * limit, 100×) past its first 16 MiB is refused as a bomb or a damaged file — both name the file,
 * line and limit. Malformed lines, a missing or non-string field, a `.gz` file that is not gzip
 * (an empty one included) and a truncated or corrupt gzip stream are reported with file and line
 * (and compressed byte offset) — an error by default, or skipped and counted.
 */
export async function* readJsonlRecords(path: string, options: JsonlOptions): AsyncGenerator<JsonlRecord> {
  const { field, onError = 'stop', stats, afterLine = 0, onBytes } = options;
  const maxLine = options.maxDocumentBytes ?? limitBytes('document');
  const maxRatio = options.maxRatio ?? limitValue('gzipRatio');
  const gzip = await isGzip(path);
  if (!gzip && /\.gz$/i.test(path)) {
    const size = await stat(path).then((s) => s.size);
    handleIssue(
      { file: path, message: `not a gzip file (${size} bytes, no gzip header) although named .gz` },
      onError,
      stats,
    );
    return;
  }
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
    const got =
      typeof value === 'object' && value !== null && Object.hasOwn(value, field)
        ? (value as Record<string, unknown>)[field]
        : undefined;
    if (typeof got !== 'string') {
      handleIssue({ file: path, line, message: `no string field "${field}"` }, onError, stats);
      return undefined;
    }
    return { text: got, line };
  };
  const tooLong = () =>
    new ProcptError(
      'data',
      `${path} (line ${line + 1}): a document longer than ${formatBytes(maxLine)} (the per-document limit)`,
      {
        hint:
          options.maxDocumentBytes === undefined
            ? `${raiseHint('document')}, or pass --on-error skip to skip it`
            : 'pass --on-error skip to skip it',
      },
    );
  // split on newline bytes natively and decode whole lines: faster than streaming text decoding
  let partial: Buffer[] = [];
  let partialBytes = 0;
  // inside an over-long line that is being skipped: drop bytes up to its newline
  let skipping = false;
  let inflated = 0;
  const overLimit = (): boolean => {
    if (onError === 'stop') throw tooLong();
    if (stats) {
      stats.skipped++;
      if (stats.issues.length < 20)
        stats.issues.push({ file: path, line: line + 1, message: tooLong().message });
    }
    partial = [];
    partialBytes = 0;
    return true;
  };
  try {
    for await (const chunk of source) {
      inflated += chunk.length;
      if (gzip && inflated > GZIP_RATIO_FLOOR_BYTES && inflated > maxRatio * Math.max(bytes, 1)) {
        throw new ProcptError(
          'corrupt',
          `${path}: gzip data inflates more than ${maxRatio}× (${formatBytes(inflated)} from ${formatBytes(bytes)}): a gzip bomb or a damaged file`,
          {
            hint:
              options.maxRatio === undefined
                ? `${raiseHint('gzipRatio')}, if the file is genuine`
                : 'check the file',
          },
        );
      }
      let start = 0;
      let nl = chunk.indexOf(10);
      while (nl >= 0) {
        if (skipping) {
          skipping = false;
          line++;
        } else if (partialBytes + nl - start > maxLine) {
          overLimit();
          line++;
        } else {
          const piece = chunk.subarray(start, nl);
          const lineBuf = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
          partial = [];
          partialBytes = 0;
          const record = parse(lineBuf.toString('utf8'));
          if (record) yield record;
        }
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      if (start < chunk.length && !skipping) {
        partialBytes += chunk.length - start;
        if (partialBytes > maxLine) skipping = overLimit();
        else partial.push(chunk.subarray(start));
      }
    }
  } catch (error) {
    if (error instanceof ProcptError) {
      if (error.code !== 'corrupt' || onError === 'stop') throw error;
      handleIssue({ file: path, line: line + 1, byte: bytes, message: error.message }, onError, stats, error);
      return;
    }
    const message = `truncated or corrupt ${gzip ? 'gzip' : 'file'} after line ${line}: ${(error as Error).message}`;
    handleIssue({ file: path, line: line + 1, byte: bytes, message }, onError, stats, error);
    return; // the rest of this file cannot be read
  } finally {
    raw.destroy();
    if (source !== raw) (source as ReturnType<typeof createGunzip>).destroy();
  }
  if (partial.length > 0 && !skipping) {
    const record = parse(Buffer.concat(partial).toString('utf8'));
    if (record) yield record;
  }
}
