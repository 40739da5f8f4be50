import { ProcptError } from '@procpt/core';
import { type ShardWriter, findSafeCut } from '@procpt/tokenizer';
import type { ParallelEncoder } from './parallel.js';

/** A piece of a document: its text, and whether the document ends with it. */
export interface TextPiece {
  text: string;
  /** Last piece of its document: the separator (if any) follows it. */
  last: boolean;
  /** Where the document goes (e.g. a train or validation shard); default the first writer. */
  writer?: number;
}

/** Longest piece sent to a worker in one go: huge documents are cut where tokenization allows. */
const MAX_PIECE_CHARS = 1 << 20;

/** Splits a very long piece at whitespace boundaries that do not change its GPT-2 tokens. */
function* bounded(piece: TextPiece): Generator<TextPiece> {
  let text = piece.text;
  while (text.length > MAX_PIECE_CHARS) {
    const cut = findSafeCut(text, MAX_PIECE_CHARS);
    if (cut <= 0) break; // no safe boundary at all: encode it whole
    yield { ...piece, text: text.slice(0, cut), last: false };
    text = text.slice(cut);
  }
  yield { ...piece, text };
}

/** Options of {@link packPieces}. */
export interface PackOptions {
  encoder: ParallelEncoder;
  writers: readonly ShardWriter[];
  /** Id written after every document, or none (C4 rule). */
  separator?: number;
  /** Characters per batch sent to a worker (default 256 Ki). */
  batchChars?: number;
  signal?: AbortSignal;
  /** After each written batch: documents finished, characters and tokens so far. */
  onProgress?: (p: { documents: number; characters: number; tokens: number }) => void;
}

/**
 * Tokenizes a stream of document pieces on the encoder's threads and writes the ids to shard
 * writers in input order (so the output is identical for any thread count), a separator after
 * each document when asked. At most two batches per thread are in flight: memory stays bounded.
 */
export async function packPieces(
  pieces: AsyncIterable<TextPiece>,
  options: PackOptions,
): Promise<{ documents: number; characters: number; tokens: number }> {
  const { encoder, writers, separator, signal } = options;
  const batchChars = options.batchChars ?? 1 << 18;
  const done = { documents: 0, characters: 0, tokens: 0 };
  const inFlight: { pieces: TextPiece[]; ids: Promise<Uint32Array[]> }[] = [];
  const flush = async () => {
    const job = inFlight.shift();
    if (!job) return;
    const ids = await job.ids;
    for (let i = 0; i < job.pieces.length; i++) {
      const piece = job.pieces[i] as TextPiece;
      const writer = writers[piece.writer ?? 0] as ShardWriter;
      const out = ids[i] as Uint32Array;
      await writer.write(out);
      done.tokens += out.length;
      done.characters += piece.text.length;
      if (piece.last) {
        if (separator !== undefined) {
          await writer.write([separator]);
          done.tokens++;
        }
        done.documents++;
      }
    }
    options.onProgress?.({ ...done });
  };
  let batch: TextPiece[] = [];
  let chars = 0;
  for await (const whole of pieces) {
    for (const piece of bounded(whole)) {
      if (signal?.aborted)
        throw new ProcptError('interrupted', 'tokenizing was interrupted; nothing was written');
      batch.push(piece);
      chars += piece.text.length;
      if (chars >= batchChars) {
        inFlight.push({ pieces: batch, ids: encoder.encode(batch.map((p) => p.text)) });
        batch = [];
        chars = 0;
        if (inFlight.length >= 2 * encoder.threads) await flush();
      }
    }
  }
  if (batch.length > 0) inFlight.push({ pieces: batch, ids: encoder.encode(batch.map((p) => p.text)) });
  while (inFlight.length > 0) await flush();
  if (signal?.aborted)
    throw new ProcptError('interrupted', 'tokenizing was interrupted; nothing was written');
  return done;
}
