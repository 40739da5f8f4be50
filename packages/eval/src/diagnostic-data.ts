import type { BatchOptions, CursorBatch, DataCursor, DataSource, DataSpec, Sample } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import { seededRandom } from './rng.js';
import { diagnosticTask } from './tasks/index.js';
import type { DiagnosticTask } from './tasks/types.js';

/** The paper's test-set size (`eval_size`). */
export const PAPER_TEST_SIZE = 4000;

// Stream ids keep the test set and the training stream independent for one run seed.
const TEST_STREAM = 0x7e57;
const TRAIN_STREAM = 0x7a1e;

/** Options of {@link DiagnosticDataset.create}. */
export interface DiagnosticDatasetOptions {
  /** A task name / paper id, or a task object. */
  task: string | DiagnosticTask;
  /** The run seed: fixes the test set, and the training stream unless `streamSeed` is given. */
  seed: number;
  /**
   * Seed of the training stream (default: `seed`). The paper's harness re-seeds with HF Trainer's
   * default 42 after building the model and the test set, so its training stream is the same for every
   * run seed: pass 42 for that protocol.
   */
  streamSeed?: number;
  /** Test-set size (default 4000, the paper's). */
  testSize?: number;
}

function keyOf(tokens: Int32Array): string {
  return tokens.join(',');
}

/**
 * A diagnostic task's data for one run: the fixed test set (drawn first from the run seed) and an
 * endless training stream from which examples identical to a test example are skipped, as the paper does.
 * Training candidate `i` is a pure function of (streamSeed, i), so a cursor `{index}` resumes exactly.
 */
export class DiagnosticDataset {
  readonly task: DiagnosticTask;
  readonly seed: number;
  /** Seed of the training stream (equal to `seed` unless set apart). */
  readonly streamSeed: number;
  /** The test examples, in generation order, with the paper's mask as `loss`. */
  readonly test: readonly Sample[];
  private readonly testKeys: ReadonlySet<string>;

  private constructor(task: DiagnosticTask, seed: number, streamSeed: number, test: Sample[]) {
    this.task = task;
    this.seed = seed;
    this.streamSeed = streamSeed;
    this.test = test;
    this.testKeys = new Set(test.map((s) => keyOf(s.tokens)));
  }

  /** Builds the dataset; the test set is generated eagerly. */
  static create(options: DiagnosticDatasetOptions): DiagnosticDataset {
    const task = typeof options.task === 'string' ? diagnosticTask(options.task) : options.task;
    const { seed } = options;
    const streamSeed = options.streamSeed ?? seed;
    const testSize = options.testSize ?? PAPER_TEST_SIZE;
    for (const [name, value] of [
      ['seed', seed],
      ['streamSeed', streamSeed],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new ProcptError('usage', `${name} must be a non-negative integer, got ${value}`);
      }
    }
    if (!Number.isInteger(testSize) || testSize < 1) {
      throw new ProcptError('usage', `testSize must be a positive integer, got ${testSize}`);
    }
    const rng = seededRandom(seed, TEST_STREAM);
    const test: Sample[] = [];
    for (let i = 0; i < testSize; i++) {
      const tokens = task.generate(rng);
      test.push({ tokens, loss: task.paperMask(tokens) });
    }
    return new DiagnosticDataset(task, seed, streamSeed, test);
  }

  /** True when `tokens` equals a test example. */
  isTestExample(tokens: Int32Array): boolean {
    return this.testKeys.has(keyOf(tokens));
  }

  /** Training candidate `index` (before test-set filtering). */
  candidate(index: number): Sample {
    const tokens = this.task.generate(seededRandom(this.streamSeed, TRAIN_STREAM, index));
    return { tokens, loss: this.task.paperMask(tokens) };
  }

  /**
   * The next training example at or after candidate `index` that is not in the test set, with the index of
   * the candidate after it.
   */
  nextTraining(index: number): { sample: Sample; next: number } {
    for (let i = index; ; i++) {
      const sample = this.candidate(i);
      if (!this.isTestExample(sample.tokens)) return { sample, next: i + 1 };
    }
  }

  private spec(split: 'train' | 'test'): DataSpec {
    const t = this.task;
    return {
      kind: 'diagnostic',
      task: t.name,
      paperId: t.paperId,
      split,
      seed: this.seed,
      ...(this.streamSeed !== this.seed ? { streamSeed: this.streamSeed } : {}),
      testSize: this.test.length,
      vocabSize: t.vocabSize,
      length: t.length,
      nPositions: t.nPositions,
      params: { ...t.params },
    };
  }

  /** The endless training stream as a {@link DataSource} (cursor `{index}` = next candidate). */
  trainSource(): DataSource {
    return {
      describe: () => this.spec('train'),
      batches: (options) => this.trainBatches(options),
    };
  }

  /** One pass over the test set as a {@link DataSource} (cursor `{index}` = next test example). */
  testSource(): DataSource {
    return {
      describe: () => this.spec('test'),
      batches: (options) => this.testBatches(options),
    };
  }

  private async *trainBatches(options: BatchOptions): AsyncGenerator<CursorBatch> {
    const { batch, length } = this.checkShape(options);
    let index = cursorIndex(options.cursor, 'train');
    for (;;) {
      const rows: Sample[] = [];
      for (let b = 0; b < batch; b++) {
        const { sample, next } = this.nextTraining(index);
        rows.push(sample);
        index = next;
      }
      yield { ...packRows(rows, length, this.task.padId), cursor: { index } };
    }
  }

  private async *testBatches(options: BatchOptions): AsyncGenerator<CursorBatch> {
    const { batch, length } = this.checkShape(options);
    let index = cursorIndex(options.cursor, 'test');
    while (index < this.test.length) {
      const rows = this.test.slice(index, index + batch);
      index += rows.length;
      yield { ...packRows(rows, length, this.task.padId), cursor: { index } };
    }
  }

  private checkShape(options: BatchOptions): { batch: number; length: number } {
    const { batch, length } = options;
    if (!Number.isInteger(batch) || batch < 1) {
      throw new ProcptError('config', `batch must be a positive integer, got ${batch}`);
    }
    if (!Number.isInteger(length) || length < this.task.length) {
      throw new ProcptError(
        'config',
        `length ${length} is shorter than the ${this.task.name} examples (${this.task.length} tokens)`,
        { hint: `use a sequence length of at least ${this.task.length}` },
      );
    }
    return { batch, length };
  }
}

function cursorIndex(cursor: DataCursor | undefined, split: string): number {
  if (cursor === undefined) return 0;
  const index = cursor.index;
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0) {
    throw new ProcptError(
      'corrupt',
      `diagnostic ${split} cursor has no valid index: ${JSON.stringify(cursor)}`,
      {
        hint: 'resume from a cursor written by this data source',
      },
    );
  }
  return index;
}

/** Right-pads rows to `length` with `padId` (loss 0 on padding) into one row-major batch. */
export function packRows(
  rows: readonly Sample[],
  length: number,
  padId: number,
): { tokens: Int32Array; loss: Uint8Array; batch: number; length: number } {
  const tokens = new Int32Array(rows.length * length).fill(padId);
  const loss = new Uint8Array(rows.length * length);
  rows.forEach((row, r) => {
    const n = Math.min(row.tokens.length, length);
    tokens.set(row.tokens.subarray(0, n), r * length);
    loss.set(row.loss.subarray(0, n), r * length);
  });
  return { tokens, loss, batch: rows.length, length };
}
