import type {
  Batch,
  BatchOptions,
  CursorBatch,
  DataCursor,
  DataSource,
  DataSpec,
  Sample,
} from '@procpt/core';
import { ProcptError, formatValue } from '@procpt/core';
import type { Generator } from './generator.js';

/** Options of {@link stream}. */
export interface StreamOptions {
  /** First sample index (default 0). */
  start?: number;
  /** Number of samples (default: endless). */
  count?: number;
}

/** Samples `start, start+1, …` of `gen` (endless unless `count` is given). */
export function* stream(
  gen: Generator,
  opts: StreamOptions = {},
): globalThis.Generator<Sample, void, undefined> {
  const start = opts.start ?? 0;
  const count = opts.count ?? Number.POSITIVE_INFINITY;
  checkCount('start', start);
  if (count !== Number.POSITIVE_INFINITY) checkCount('count', count);
  for (let i = 0; i < count; i++) yield gen.sample(start + i);
}

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new ProcptError('usage', `${name} must be a non-negative integer, got ${formatValue(v)}`);
  }
}

/**
 * Packs samples into one `[samples.length, length]` batch, one sample per row, right-padded with
 * `padId` (loss 0 on padding). A sample longer than `length` is an error (use concat packing).
 */
export function packBatch(samples: readonly Sample[], length: number, padId: number): Batch {
  const batch = samples.length;
  const tokens = new Int32Array(batch * length).fill(padId);
  const loss = new Uint8Array(batch * length);
  samples.forEach((s, r) => {
    if (s.tokens.length > length) {
      throw new ProcptError(
        'config',
        `a sample of ${s.tokens.length} tokens does not fit a row of ${length}`,
        {
          hint: 'raise the row length to the generator maxLength, or use concat packing',
        },
      );
    }
    tokens.set(s.tokens, r * length);
    loss.set(s.loss, r * length);
  });
  return { tokens, loss, batch, length };
}

/** Options of {@link packedBatches}. */
export interface PackOptions {
  batch: number;
  length: number;
  /** `pad`: one sample per row; `concat`: samples back to back, cut into rows (LM-style types). */
  packing?: 'pad' | 'concat';
  /** Resume position from an earlier batch's cursor. */
  cursor?: DataCursor;
}

function cursorField(cursor: DataCursor | undefined, name: string): number {
  const v = cursor?.[name];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ProcptError(
      'corrupt',
      `procgen cursor.${name} must be a non-negative integer, got ${formatValue(v)}`,
    );
  }
  return v;
}

/**
 * Endless fixed-size batches `[batch, length]` from `gen`, each with the cursor of the position right
 * after it. `pad` cursor: `{ index }` (next sample). `concat` cursor: `{ index, offset }` (next
 * sample and how many of its tokens are already used): samples are laid back to back with their
 * own loss masks, and the first token of each row is never scored (nothing predicts it).
 */
export function* packedBatches(
  gen: Generator,
  opts: PackOptions,
): globalThis.Generator<CursorBatch, void, undefined> {
  const { batch, length } = opts;
  if (!Number.isSafeInteger(batch) || batch < 1 || !Number.isSafeInteger(length) || length < 2) {
    throw new ProcptError(
      'config',
      `batch must be >= 1 and length >= 2, got batch ${batch}, length ${length}`,
    );
  }
  let index = cursorField(opts.cursor, 'index');
  if ((opts.packing ?? 'pad') === 'pad') {
    if (gen.maxLength > length) {
      throw new ProcptError(
        'config',
        `${gen.type} samples have up to ${gen.maxLength} tokens, rows only ${length}`,
        {
          hint: `use rows of ${gen.maxLength} tokens, or concat packing`,
        },
      );
    }
    for (;;) {
      const samples: Sample[] = [];
      for (let r = 0; r < batch; r++) samples.push(gen.sample(index++));
      yield { ...packBatch(samples, length, gen.padId), cursor: { index } };
    }
  }
  let offset = cursorField(opts.cursor, 'offset');
  let current = gen.sample(index);
  if (offset >= current.tokens.length) {
    throw new ProcptError(
      'corrupt',
      `procgen cursor.offset ${offset} is past sample ${index} (${current.tokens.length} tokens)`,
    );
  }
  for (;;) {
    const tokens = new Int32Array(batch * length);
    const loss = new Uint8Array(batch * length);
    for (let at = 0; at < tokens.length; ) {
      const take = Math.min(current.tokens.length - offset, tokens.length - at);
      tokens.set(current.tokens.subarray(offset, offset + take), at);
      loss.set(current.loss.subarray(offset, offset + take), at);
      at += take;
      offset += take;
      if (offset === current.tokens.length) {
        current = gen.sample(++index);
        offset = 0;
      }
    }
    for (let r = 0; r < batch; r++) loss[r * length] = 0;
    yield { tokens, loss, batch, length, cursor: { index, offset } };
  }
}

/** Options of {@link generatorSource}. */
export interface SourceOptions {
  /** Default `pad`. `concat` suits LM-style types (dyck, dyck-shuffle, markov). */
  packing?: 'pad' | 'concat';
}

/**
 * A trainer {@link DataSource} over a generator: endless batches (see {@link packedBatches}) with a
 * JSON cursor, so a resumed run continues with exactly the samples it would have seen.
 */
export function generatorSource(gen: Generator, opts: SourceOptions = {}): DataSource {
  const packing = opts.packing ?? 'pad';
  return {
    describe(): DataSpec {
      return { ...gen.describe(), packing };
    },
    async *batches(options: BatchOptions): AsyncIterable<CursorBatch> {
      yield* packedBatches(gen, {
        batch: options.batch,
        length: options.length,
        packing,
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
    },
  };
}
