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
