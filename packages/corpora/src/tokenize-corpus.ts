import { stat } from 'node:fs/promises';
import { ProcptError, readLinesLimited } from '@procpt/core';
import { type SeparatorPolicy, ShardWriter, type Tokenizer } from '@procpt/tokenizer';
import { type TextPiece, packPieces } from './pack.js';
import { ParallelEncoder } from './parallel.js';
import { type CorpusFormat, detectFormat, readCorpus } from './readers/corpus.js';
import { type FileFilter, listCorpusFiles } from './readers/glob.js';
import { type OnError, type ReadStats, emptyReadStats, handleIssue } from './readers/records.js';

/** Options of {@link tokenizeCorpus}. */
export interface TokenizeCorpusOptions extends FileFilter {
  /** Files, directories or globs. */
  input: string | readonly string[];
  /** Shard to write (`.bin`), atomically. */
  out: string;
  tokenizer: Tokenizer;
  /** Input format (default `auto`: {@link detectFormat}). */
  format?: CorpusFormat | 'auto';
  /**
   * Joining rule (default: the paper's for the format — c4 `none`, codeparrot `eot`, text `eot`
   * when the tokenizer has an end-of-text token; dm-math always writes `BOS q SEP a`).
   */
  separator?: SeparatorPolicy;
  onError?: OnError;
  /** Called with raw input bytes as they are read. */
  onBytes?: (bytes: number) => void;
  /** Called with the tokens written so far. */
  onTokens?: (tokens: number) => void;
  /** Aborts: the partial shard is discarded. */
  signal?: AbortSignal;
  /** Tokenizer threads (default: one per core; 1 = this thread only). */
  threads?: number;
  /** Replace an existing file at `out` that is not a token shard (default: refused). */
  force?: boolean;
}

/** What {@link tokenizeCorpus} wrote. */
export interface TokenizeCorpusResult {
  path: string;
  format: CorpusFormat;
  separator: SeparatorPolicy | 'bos-sep';
  files: number;
  /** Input bytes on disk (compressed for .gz). */
  bytes: number;
  documents: number;
  characters: number;
  tokens: number;
  /** Threads that tokenized. */
  threads: number;
  /** Records skipped under `onError: 'skip'`, with the first few issues. */
  stats: ReadStats;
}

/** An input that yields no document would write an empty shard: a `data` error instead. */
function noDocuments(inputs: readonly string[], stats: ReadStats): ProcptError {
  const where = inputs.length === 1 ? inputs[0] : `${inputs.length} inputs`;
  return new ProcptError('data', `${where} holds no documents: no shard written`, {
    hint:
      stats.skipped > 0
        ? `all ${stats.skipped} record(s) were skipped as bad; first: ${stats.issues[0]?.message ?? '?'}`
        : 'check the input path, its format and the --include/--exclude globs',
  });
}

/** The paper's joining rule for a format. */
export function defaultSeparator(format: CorpusFormat, tokenizer: Tokenizer): SeparatorPolicy {
  if (format === 'c4') return 'none';
  return tokenizer.special.eos === undefined ? 'none' : 'eot';
}

/**
 * Tokenizes a corpus in any supported format into one llm.c token shard with the paper's joining
 * rules (C4 concatenated, CodeParrot `<|endoftext|>`-joined, DM-Math `BOS question SEP answer` for
 * every pair of every file, text files joined by the end-of-text token when there is one).
 * Streaming: memory does not grow with the input.
 */
export async function tokenizeCorpus(options: TokenizeCorpusOptions): Promise<TokenizeCorpusResult> {
  const inputs = typeof options.input === 'string' ? [options.input] : options.input;
  if (inputs.length === 0) throw new ProcptError('usage', 'no input given');
  const format =
    !options.format || options.format === 'auto' ? await detectFormat(inputs[0] as string) : options.format;
  const stats = emptyReadStats();
  const filter: FileFilter = {
    ...(options.include ? { include: options.include } : {}),
    exclude: [...(options.exclude ?? [])],
    ...(format === 'dm-math' ? { include: options.include ?? ['*.txt'] } : {}),
  };
  const files = await listCorpusFiles(inputs, filter);
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  if (format === 'dm-math') return dmMathShard(options, files, bytes, stats);
  const separatorPolicy = options.separator ?? defaultSeparator(format, options.tokenizer);
  const sep = separatorPolicy === 'eot' ? options.tokenizer.special.eos : undefined;
  if (separatorPolicy === 'eot' && sep === undefined) {
    throw new ProcptError(
      'usage',
      `separator eot needs an end-of-text token; the ${options.tokenizer.name} tokenizer has none`,
    );
  }
  const pieces = (async function* (): AsyncGenerator<TextPiece> {
    for await (const d of readCorpus(inputs, {
      ...filter,
      format,
      onError: options.onError ?? 'stop',
      stats,
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
    })) {
      if (typeof d.text === 'string') yield { text: d.text, last: true };
      else {
        // a plain-text file arrives in whitespace-cut chunks: its document ends after the last one
        let previous: string | undefined;
        for await (const chunk of d.text) {
          if (previous !== undefined) yield { text: previous, last: false };
          previous = chunk;
        }
        yield { text: previous ?? '', last: true };
      }
    }
  })();
  // the writer first: a refused output must not leave worker threads keeping the process alive
  const writer = await ShardWriter.open(options.out, {
    vocabSize: options.tokenizer.vocabSize,
    ...(options.force ? { force: true } : {}),
  });
  let encoder: ParallelEncoder | undefined;
  try {
    encoder = ParallelEncoder.create(options.tokenizer, options.threads);
    const done = await packPieces(pieces, {
      encoder,
      writers: [writer],
      ...(sep === undefined ? {} : { separator: sep }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onTokens ? { onProgress: (p: { tokens: number }) => options.onTokens?.(p.tokens) } : {}),
    });
    if (done.documents === 0) throw noDocuments(inputs, stats);
    const r = await writer.close();
    return {
      path: r.path,
      format,
      separator: separatorPolicy,
      files: files.length,
      bytes,
      documents: done.documents,
      characters: done.characters,
      tokens: r.tokens,
      threads: encoder.threads,
      stats,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    await encoder?.close();
  }
}

async function dmMathShard(
  options: TokenizeCorpusOptions,
  files: string[],
  bytes: number,
  stats: ReadStats,
): Promise<TokenizeCorpusResult> {
  const { tokenizer } = options;
  const { bos, sep } = tokenizer.special;
  if (bos === undefined || sep === undefined) {
    throw new ProcptError('usage', `DM-Math needs a tokenizer with BOS and SEP; ${tokenizer.name} has none`, {
      hint: 'use --tokenizer char',
    });
  }
  const writer = await ShardWriter.open(options.out, {
    vocabSize: tokenizer.vocabSize,
    ...(options.force ? { force: true } : {}),
  });
  let documents = 0;
  let characters = 0;
  try {
    for (const file of files) {
      let question: string | undefined;
      let line = 0;
      // lines of bounded length (the `document` limit): a file without newlines cannot fill memory
      for await (const { text, line: number } of readLinesLimited(file)) {
        line = number;
        options.onBytes?.(Buffer.byteLength(text) + 1);
        if (options.signal?.aborted)
          throw new ProcptError(
            'interrupted',
            `tokenizing into ${options.out} was interrupted; nothing was written`,
          );
        if (question === undefined) {
          question = text;
          continue;
        }
        await writer.write([bos, ...tokenizer.encode(question), sep, ...tokenizer.encode(text)]);
        characters += question.length + text.length;
        documents++;
        question = undefined;
        options.onTokens?.(writer.tokens);
      }
      if (question !== undefined) {
        handleIssue(
          { file, line, message: 'question without an answer line (odd number of lines: truncated?)' },
          options.onError ?? 'stop',
          stats,
        );
      }
    }
    if (documents === 0) throw noDocuments(files, stats);
    const r = await writer.close();
    return {
      path: r.path,
      format: 'dm-math',
      separator: 'bos-sep',
      files: files.length,
      bytes,
      documents,
      characters,
      tokens: r.tokens,
      threads: 1,
      stats,
    };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
