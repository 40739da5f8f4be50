import { readdir, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createGunzip } from 'node:zlib';
import { type DataCursor, ProcptError } from '@procpt/core';
import { readTextChunks } from '@procpt/tokenizer';
import { type FileFilter, listCorpusFiles } from './glob.js';
import { readParquetRecords } from './parquet.js';
import { type OnError, type ReadStats, isGzip, readJsonlRecords } from './records.js';

/** The corpus formats procpt reads. */
export const CORPUS_FORMATS = ['c4', 'codeparrot', 'dm-math', 'text'] as const;
/** A corpus format: C4 JSON Lines, CodeParrot JSON Lines/parquet, DeepMind-Math, plain text. */
export type CorpusFormat = (typeof CORPUS_FORMATS)[number];

/** The JSON field / parquet column holding each document's text. */
export const FORMAT_FIELD: Readonly<Record<'c4' | 'codeparrot', string>> = {
  c4: 'text',
  codeparrot: 'content',
};

/** True for `mathematics_dataset-v1.0` or a folder that holds it or its split folders. */
async function isDmMathDir(path: string): Promise<boolean> {
  if (basename(path).startsWith('mathematics_dataset')) return true;
  try {
    const names = await readdir(path);
    return names.some(
      (n) => n.startsWith('mathematics_dataset') || n === 'train-easy' || n === 'interpolate',
    );
  } catch {
    return false;
  }
}

async function firstLineFields(path: string): Promise<string[]> {
  const raw = createReadStream(path, { end: 1 << 20 });
  const stream = (await isGzip(path)) ? raw.pipe(createGunzip()) : raw;
  let text = '';
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.includes('\n') || text.length > 1 << 20) break;
    }
  } catch {
    // a truncated sample still tells the fields of the first line, if complete
  } finally {
    raw.destroy();
  }
  try {
    return Object.keys(JSON.parse(text.split('\n')[0] ?? '') as object);
  } catch {
    return [];
  }
}

/**
 * Guesses the format of an input from its name, then its content: `c4-*.json.gz` → c4,
 * `file-*.json.gz` / `.parquet` → codeparrot, a `mathematics_dataset` folder → dm-math, JSON
 * Lines with a `text` / `content` field → c4 / codeparrot, anything else → text.
 */
export async function detectFormat(input: string): Promise<CorpusFormat> {
  const info = await stat(input).catch(() => undefined);
  if (info?.isDirectory() && (await isDmMathDir(input))) return 'dm-math';
  const files = await listCorpusFiles(input);
  const first = files[0] as string;
  const name = basename(first);
  if (/^c4-(train|validation)\..*\.json(l)?(\.gz)?$/.test(name)) return 'c4';
  if (/^file-\d+\.json(l)?(\.gz)?$/.test(name) || name.endsWith('.parquet')) return 'codeparrot';
  if (/\.(json|jsonl)(\.gz)?$/.test(name) || name.endsWith('.gz')) {
    const fields = await firstLineFields(first);
    if (fields.includes('content')) return 'codeparrot';
    if (fields.includes('text')) return 'c4';
  }
  return 'text';
}

/** One document of a corpus, with the cursor to resume right after it. */
export interface CorpusDocument {
  /** The text, or (plain-text files) a stream of chunks cut at whitespace. */
  text: string | AsyncIterable<string>;
  file: string;
  /** 1-based line/row within the file (0 for a whole text file). */
  line: number;
  /** Resume position after this document: `{ file, line }`. */
  cursor: DataCursor;
}

/** Options of {@link readCorpus}. */
export interface ReadCorpusOptions extends FileFilter {
  /** Format (default: {@link detectFormat} on the first input). `dm-math` is read by {@link dmMathSource}. */
  format?: Exclude<CorpusFormat, 'dm-math'>;
  /** Override the JSON field / parquet column. */
  field?: string;
  /** Malformed records: `stop` (default, an error naming file and line) or `skip` (counted in `stats`). */
  onError?: OnError;
  stats?: ReadStats;
  /** Resume after the document that returned this cursor. */
  cursor?: DataCursor;
  /** Called with raw bytes as files are read (progress). */
  onBytes?: (bytes: number) => void;
}

function cursorPart(cursor: DataCursor | undefined, key: string): number {
  const v = cursor?.[key];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new ProcptError(
      'usage',
      `corpus cursor field ${key} must be a non-negative integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

/**
 * Streams the documents of C4, CodeParrot or plain-text inputs (files, directories, globs) in
 * sorted file order, one record at a time, so memory stays bounded for any corpus size. Resumable:
 * pass the `cursor` of the last document consumed. Files before the cursor are skipped without
 * reading; within its file, earlier records are read and dropped (gzip cannot seek).
 */
export async function* readCorpus(
  inputs: string | readonly string[],
  options: ReadCorpusOptions = {},
): AsyncGenerator<CorpusDocument> {
  const list = typeof inputs === 'string' ? [inputs] : inputs;
  const format = options.format ?? (await detectFormat(list[0] as string));
  if ((format as string) === 'dm-math') {
    throw new ProcptError('usage', 'DM-Math is read as problems, not documents', {
      hint: 'use dmMathSource or procpt tokenize --format dm-math',
    });
  }
  const files = await listCorpusFiles(list, options);
  const startFile = cursorPart(options.cursor, 'file');
  const startLine = cursorPart(options.cursor, 'line');
  const onError = options.onError ?? 'stop';
  for (let f = startFile; f < files.length; f++) {
    const file = files[f] as string;
    const afterLine = f === startFile ? startLine : 0;
    if (format === 'text') {
      if (afterLine > 0) continue; // the whole file was the document already consumed
      const chunks = readTextChunks(file, options.onBytes ? { onBytes: options.onBytes } : {});
      yield { text: chunks, file, line: 0, cursor: { file: f + 1, line: 0 } };
      continue;
    }
    const field = options.field ?? FORMAT_FIELD[format as 'c4' | 'codeparrot'];
    const common = { field, onError, afterLine, ...(options.stats ? { stats: options.stats } : {}) };
    const records = file.endsWith('.parquet')
      ? readParquetRecords(file, common)
      : readJsonlRecords(file, { ...common, ...(options.onBytes ? { onBytes: options.onBytes } : {}) });
    for await (const r of records)
      yield { text: r.text, file, line: r.line, cursor: { file: f, line: r.line } };
  }
}
