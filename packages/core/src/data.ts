import { ProcptError, formatValue } from './errors.js';

/**
 * One training example: `tokens[i]` is a token id; `loss[i] = 1` iff token `i` is a scored target
 * (it is predicted from position `i - 1` and counts in the loss and in accuracy).
 */
export interface Sample {
  tokens: Int32Array;
  loss: Uint8Array;
}

/** A packed batch, row-major `[batch, length]`. Padding positions have `loss = 0`. */
export interface Batch {
  tokens: Int32Array;
  loss: Uint8Array;
  batch: number;
  length: number;
}

/** A serialisable position in a data stream, saved with training state so runs resume exactly. */
export type DataCursor = Readonly<Record<string, number | string | boolean | null>>;

/** A JSON description of a data source (type, parameters, seed, vocabulary). */
export interface DataSpec {
  kind: string;
  vocabSize: number;
  [key: string]: unknown;
}

/** Options of {@link DataSource.batches}. */
export interface BatchOptions {
  batch: number;
  length: number;
  /** Resume position returned by an earlier {@link CursorBatch.cursor}. */
  cursor?: DataCursor;
}

/** A batch together with the cursor of the position right after it. */
export interface CursorBatch extends Batch {
  cursor: DataCursor;
}

/** Anything the trainer can read batches from: procgen streams, diagnostic tasks, token shards. */
export interface DataSource {
  describe(): DataSpec;
  batches(options: BatchOptions): AsyncIterable<CursorBatch>;
  /** Releases what the source holds open (files); the trainer calls it when a run ends. */
  close?(): Promise<void>;
}

/**
 * Checks a batch before it reaches a model: `tokens` and `loss` hold `batch · length` values, every
 * token is an integer id in `[0, vocabSize)` and every loss-mask value is 0 or 1. A violation is a
 * `data` {@link ProcptError} naming `where` (the data source), the row and the column — caught
 * here, it cannot turn into a NaN loss or a silently doubled weight later.
 */
export function checkBatch(batch: Batch, vocabSize: number, where: string): void {
  const { tokens, loss } = batch;
  const size = batch.batch * batch.length;
  if (!Number.isSafeInteger(size) || size < 0 || tokens?.length !== size || loss?.length !== size) {
    throw new ProcptError(
      'data',
      `${where}: a [${batch.batch}, ${batch.length}] batch needs ${size} tokens and mask values, got ${tokens?.length} and ${loss?.length}`,
    );
  }
  for (let i = 0; i < size; i++) {
    const t = tokens[i] as number;
    if (!(Number.isInteger(t) && t >= 0 && t < vocabSize)) {
      throw new ProcptError(
        'data',
        `${where}: token ${formatValue(t)} at row ${Math.floor(i / batch.length)}, position ${i % batch.length} is outside the vocabulary [0, ${vocabSize})`,
        { hint: "the data's vocabulary is larger than the model's: check model.vocabSize and the data" },
      );
    }
    const m = loss[i] as number;
    if (m !== 0 && m !== 1) {
      throw new ProcptError(
        'data',
        `${where}: loss-mask value ${formatValue(m)} at row ${Math.floor(i / batch.length)}, position ${i % batch.length} is not 0 or 1`,
        { hint: 'a loss mask marks scored targets with 1 and the rest with 0' },
      );
    }
  }
}
