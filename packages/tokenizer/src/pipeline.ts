import { ProcptError } from '@procpt/core';
import { type SeparatorPolicy, separatorId } from './documents.js';
import type { ShardVersion } from './shard-format.js';
import { ShardWriter } from './shard-writer.js';
import type { Tokenizer } from './types.js';

/**
 * One document: a string, or its text as a stream of chunks (e.g. {@link readTextChunks} of a
 * large file). Chunks are encoded one at a time and concatenated, so a chunked document must be
 * cut where tokenization does not change (whitespace boundaries, see {@link rechunkText}).
 */
export type TextDocument = string | AsyncIterable<string> | Iterable<string>;

/** Counts reported by {@link tokenizeToShard} as it goes. */
export interface TokenizeProgress {
  /** Documents finished. */
  documents: number;
  /** Tokens written (separators included). */
  tokens: number;
  /** UTF-16 characters encoded. */
  characters: number;
}

/** Options of {@link tokenizeToShard}. */
export interface TokenizeToShardOptions {
  tokenizer: Tokenizer;
  /** The corpus, one item per document, consumed lazily. */
  documents: AsyncIterable<TextDocument> | Iterable<TextDocument>;
  /** Shard path (`.bin`); written atomically. */
  out: string;
  /** How documents are joined (default `none`); `eot` needs a tokenizer with `special.eos`. */
  separator?: SeparatorPolicy;
  /** Called after every encoded chunk. */
  onProgress?: (progress: TokenizeProgress) => void;
  /** Stops the run: the partial shard is discarded and an `interrupted` ProcptError thrown. */
  signal?: AbortSignal;
  /** Writer buffer size in tokens (see {@link ShardWriterOptions}). */
  bufferTokens?: number;
  /** Replace an existing file at `out` that is not a token shard (see {@link ShardWriterOptions}). */
  force?: boolean;
}

/** What {@link tokenizeToShard} wrote. */
export interface TokenizeResult extends TokenizeProgress {
  path: string;
  /** Shard version: 1 = uint16 tokens, 2 = uint32. */
  version: ShardVersion;
  vocabSize: number;
}

async function* chunksOf(doc: TextDocument): AsyncGenerator<string> {
  if (typeof doc === 'string') yield doc;
  else yield* doc;
}

/**
 * Tokenizes a stream of documents into one llm.c-layout token shard, memory-bounded: documents
 * (and chunks of chunked documents) are encoded one at a time and streamed to a
 * {@link ShardWriter}, so memory does not grow with the corpus. On any error or abort, the partial
 * output is discarded and `out` is left untouched.
 *
 * @example
 * await tokenizeToShard({ tokenizer: new Gpt2Tokenizer(), documents: ['a', 'b'], out: 'x.bin', separator: 'eot' });
 */
export async function tokenizeToShard(options: TokenizeToShardOptions): Promise<TokenizeResult> {
  const { tokenizer, out, signal, onProgress } = options;
  const sep = separatorId(tokenizer, options.separator ?? 'none');
  const writer = await ShardWriter.open(out, {
    vocabSize: tokenizer.vocabSize,
    ...(options.bufferTokens === undefined ? {} : { bufferTokens: options.bufferTokens }),
    ...(options.force ? { force: true } : {}),
  });
  const progress: TokenizeProgress = { documents: 0, tokens: 0, characters: 0 };
  const checkAbort = () => {
    if (signal?.aborted) {
      throw new ProcptError('interrupted', `tokenizing into ${out} was interrupted; nothing was written`);
    }
  };
  try {
    checkAbort();
    for await (const doc of options.documents) {
      for await (const chunk of chunksOf(doc)) {
        checkAbort();
        const ids = tokenizer.encode(chunk);
        await writer.write(ids);
        progress.characters += chunk.length;
        progress.tokens += ids.length;
        onProgress?.({ ...progress });
      }
      if (sep !== undefined) {
        await writer.write([sep]);
        progress.tokens++;
      }
      progress.documents++;
    }
    checkAbort();
    const { path, tokens } = await writer.close();
    const result = { ...progress, tokens, path, version: writer.version, vocabSize: tokenizer.vocabSize };
    onProgress?.({ documents: result.documents, tokens, characters: result.characters });
    return result;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
