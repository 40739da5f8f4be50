import type { BatchOptions, CursorBatch, DataSource, DataSpec } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import { DmMathSource } from '@procpt/corpora';
import { DiagnosticDataset } from '@procpt/eval';
import { type GeneratorSpec, createGenerator, generatorSource } from '@procpt/procgen';
import { readShardInfo, readShardRange } from '@procpt/tokenizer';
import type { DataSourceConfig } from './config.js';
import { LengthCurriculum } from './curriculum.js';

/** A data source built from a config entry, with what the model needs to know about it. */
export interface ResolvedData {
  source: DataSource;
  vocabSize: number;
  /** Natural row length (generator maxLength, diagnostic padded length); undefined for shards. */
  length: number | undefined;
  /** Eval rows available (diagnostic test sets), when finite. */
  rows?: number;
  /** Context length the source's paper setting uses (diagnostic tasks). */
  nPositions?: number;
  /** Set when the source is a length curriculum (`source` is the same object). */
  curriculum?: LengthCurriculum;
}

/**
 * Builds the data source of a config entry: a procgen generator (`createGenerator` +
 * `generatorSource`), an llm.c token shard, a diagnostic task's training stream / test set
 * (`split`) from @procpt/eval, or DeepMind-Math files (answer-only loss, packed rows). `seed` is the run seed, used when the entry has none.
 */
export async function resolveData(
  config: DataSourceConfig,
  seed: number,
  split: 'train' | 'eval',
): Promise<ResolvedData> {
  switch (config.kind) {
    case 'procgen': {
      // The paper validates on the same generator seeded VAL_SEED_OFFSET = 10000 higher.
      const genSeed = config.seed ?? (split === 'eval' ? seed + 10_000 : seed);
      if (config.curriculum) {
        if (split === 'eval') {
          throw new ProcptError(
            'config',
            'data.eval.curriculum: a length curriculum applies to data.train only',
            {
              hint: 'remove curriculum from data.eval (the eval data keeps its full length)',
            },
          );
        }
        const curriculum = new LengthCurriculum({
          type: config.type,
          params: config.params,
          seed: genSeed,
          packing: config.packing,
          settings: config.curriculum,
        });
        const { vocabSize, maxLength } = curriculum.full;
        return { source: curriculum, curriculum, vocabSize, length: maxLength };
      }
      // A run config's spec is validated by createGenerator at run time.
      const gen = createGenerator({ ...config.params, type: config.type, seed: genSeed } as GeneratorSpec);
      return {
        source: generatorSource(gen, { packing: config.packing }),
        vocabSize: gen.vocabSize,
        length: gen.maxLength,
      };
    }
    case 'shard': {
      const { tokenCount } = await readShardInfo(config.path);
      return {
        source: shardSource(config.path, config.vocabSize, tokenCount, readShardRange),
        vocabSize: config.vocabSize,
        length: undefined,
      };
    }
    case 'diagnostic': {
      const dataset = DiagnosticDataset.create({
        task: config.task,
        seed: config.seed ?? seed,
        ...(config.streamSeed !== undefined ? { streamSeed: config.streamSeed } : {}),
        ...(config.testSize ? { testSize: config.testSize } : {}),
      });
      const task = dataset.task;
      const common = { vocabSize: task.vocabSize, length: task.length, nPositions: task.nPositions };
      return split === 'train'
        ? { ...common, source: dataset.trainSource() }
        : { ...common, source: dataset.testSource(), rows: dataset.test.length };
    }
    case 'dm-math': {
      const source = await DmMathSource.open({
        root: config.root,
        part: config.part ?? (split === 'train' ? 'train' : 'interpolate'),
        seed: config.seed ?? 42,
      });
      // Rows are packed problems: the row length is the run's data.length (the paper: 512).
      return { source, vocabSize: source.describe().vocabSize as number, length: undefined };
    }
  }
}

/**
 * Consecutive, non-overlapping windows of `length` tokens from a shard, every target scored
 * (position 0 of a row is never a target). Wraps around at the end (a new epoch). Cursor:
 * `{ offset }`, the token index of the next row.
 */
export function shardSource(
  path: string,
  vocabSize: number,
  tokenCount: number,
  read: (path: string, start: number, count: number) => Promise<Uint32Array>,
): DataSource {
  return {
    describe(): DataSpec {
      return { kind: 'shard', vocabSize, path, tokenCount };
    },
    async *batches(options: BatchOptions): AsyncIterable<CursorBatch> {
      const { batch, length } = options;
      if (tokenCount < length) {
        throw new ProcptError('data', `${path} has ${tokenCount} tokens, fewer than one row of ${length}`);
      }
      const raw = options.cursor?.offset;
      let offset = typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0 ? raw : 0;
      for (;;) {
        const tokens = new Int32Array(batch * length);
        const loss = new Uint8Array(batch * length);
        for (let r = 0; r < batch; r++) {
          if (offset + length > tokenCount) offset = 0;
          const row = await read(path, offset, length);
          for (let i = 0; i < length; i++) {
            const id = row[i]!;
            if (id >= vocabSize) {
              throw new ProcptError(
                'data',
                `${path}: token ${id} at ${offset + i} is outside the vocabulary of ${vocabSize}`,
              );
            }
            tokens[r * length + i] = id;
            loss[r * length + i] = i > 0 ? 1 : 0;
          }
          offset += length;
        }
        yield { tokens, loss, batch, length, cursor: { offset } };
      }
    },
  };
}
