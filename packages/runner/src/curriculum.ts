import type { BatchOptions, CursorBatch, DataCursor, DataSource, DataSpec } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import { warmupAccuracy, warmupMetric, type ForwardModel } from '@procpt/eval';
import { createGenerator, type Generator, type GeneratorSpec, packedBatches } from '@procpt/procgen';
import type { CurriculumCheck, TrainingCurriculum } from '@procpt/trainer-gpu';

/**
 * The paper's length curriculum (`use_curriculum` in its `algorithmic.py`): train on samples of length
 * `start`, and each time the model masters the current length — its own task accuracy reaches
 * `threshold` — grow the length by `step`, up to the generator's configured `length`.
 */
export interface CurriculumSettings {
  /** First length (the generator's `length` parameter). Paper: 2. */
  start: number;
  /** Growth per mastered stage. Paper: 2. */
  step: number;
  /** Accuracy that counts as mastered. Paper: 0.99. */
  threshold: number;
  /** Check mastery every this many optimizer steps. Paper: once per 100-step epoch. */
  every: number;
  /** Fresh samples per check. */
  samples: number;
}

/** What a {@link LengthCurriculum} is built from: the procgen entry of the training data. */
export interface LengthCurriculumOptions {
  type: string;
  params: Readonly<Record<string, unknown>>;
  seed: number;
  packing: 'pad' | 'concat';
  settings: CurriculumSettings;
}

/** Seed offset of the mastery-check samples, so they are never training samples. */
const CHECK_SEED_OFFSET = 30_000;

/**
 * A training {@link DataSource} whose sample length grows as the model masters it. With `pad`
 * packing, rows are as long as the current stage's samples (short stages are cheap); with `concat`
 * packing, rows keep the run's length. The cursor records the stage (`curriculumLength`) with the
 * stage's own position, so a resumed run continues at the same length with the same samples.
 */
export class LengthCurriculum implements DataSource, TrainingCurriculum {
  /** The configured (final) length. */
  readonly finalLength: number;
  /** The generator at the final length: vocabulary, longest row, description. */
  readonly full: Generator;
  readonly settings: CurriculumSettings;
  private current: number;
  private gen: Generator;

  constructor(private readonly options: LengthCurriculumOptions) {
    const s = options.settings;
    this.settings = s;
    this.full = createGenerator({
      ...options.params,
      type: options.type,
      seed: options.seed,
    } as GeneratorSpec);
    const length = this.full.params.length;
    if (typeof length !== 'number') {
      throw new ProcptError(
        'config',
        `data.train.curriculum: procgen type ${options.type} has no length parameter`,
        {
          hint: 'a length curriculum needs a type with a length (dyck, dyck-shuffle, identity, set, …)',
        },
      );
    }
    if (s.start > length) {
      throw new ProcptError(
        'config',
        `data.train.curriculum.start (${s.start}) is longer than params.length (${length})`,
        { hint: 'start below the final length, e.g. start: 2' },
      );
    }
    this.finalLength = length;
    this.current = s.start;
    this.gen = this.generatorAt(s.start);
  }

  /** The length trained on now. */
  get length(): number {
    return this.current;
  }

  describe(): DataSpec {
    return { ...this.full.describe(), packing: this.options.packing, curriculum: { ...this.settings } };
  }

  /** The cursor of the next batch to draw (after a stage change: the new stage's first sample). */
  cursor(): DataCursor {
    return { curriculumLength: this.current, index: 0 };
  }

  async *batches(options: BatchOptions): AsyncIterable<CursorBatch> {
    let inner = this.resumeFrom(options.cursor);
    for (;;) {
      const stage = this.current;
      const rows = this.options.packing === 'pad' ? this.gen.maxLength : options.length;
      const stream = packedBatches(this.gen, {
        batch: options.batch,
        length: rows,
        packing: this.options.packing,
        ...(inner ? { cursor: inner } : {}),
      });
      for (const b of stream) {
        yield { ...b, cursor: { ...b.cursor, curriculumLength: stage } };
        // a check advanced the stage: the next batch starts the new stage's stream
        if (this.current !== stage) break;
      }
      inner = undefined;
    }
  }

  /**
   * Scores `model` on fresh samples of the current length; when it reaches the threshold, the next
   * batch is drawn at the next length. Returns the check to log.
   */
  async check(model: ForwardModel, step: number): Promise<CurriculumCheck> {
    const s = this.settings;
    const probe = this.generatorAt(this.current, this.options.seed + CHECK_SEED_OFFSET);
    const samples = Array.from({ length: s.samples }, (_, i) => probe.sample(i));
    const result = await warmupAccuracy(model, samples, {
      type: this.options.type,
      params: probe.params,
      padId: probe.padId,
    });
    const checked = this.current;
    if (result.accuracy >= s.threshold && this.current < this.finalLength) {
      this.current = Math.min(this.finalLength, this.current + s.step);
      this.gen = this.generatorAt(this.current);
    }
    return {
      kind: 'curriculum',
      step,
      length: checked,
      accuracy: result.accuracy,
      metric: warmupMetric(this.options.type),
      next: this.current,
      time: new Date().toISOString(),
    };
  }

  private generatorAt(length: number, seed = this.options.seed): Generator {
    return createGenerator({
      ...this.options.params,
      length,
      type: this.options.type,
      seed,
    } as GeneratorSpec);
  }

  private resumeFrom(cursor: DataCursor | undefined): DataCursor | undefined {
    if (!cursor) return undefined;
    const length = cursor.curriculumLength;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > this.finalLength) {
      throw new ProcptError(
        'data',
        `curriculum cursor.curriculumLength must be an integer in [1, ${this.finalLength}], got ${JSON.stringify(length)}`,
        { hint: 'resume with the config the run was started with' },
      );
    }
    if (length !== this.current) {
      this.current = length;
      this.gen = this.generatorAt(length);
    }
    const { curriculumLength: _, ...inner } = cursor;
    return inner;
  }
}
