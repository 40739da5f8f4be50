import type { DataCursor, DataSource } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import type { CheckpointMeta, Gpt } from '@procpt/model';
import type { AdamWOptions, FusedOptimizer } from './adamw.js';
import type { StepMetrics } from './metrics.js';
import type { ScheduleConfig } from './schedule.js';

/** Evaluation every `every` steps on the first `batches` batches of `source`. */
export interface EvalOptions {
  source: DataSource;
  every: number;
  batches: number;
  /** Stop after this many evaluations without improvement (0 = never). */
  patience: number;
  /** What "improvement" means: higher masked accuracy or lower loss. */
  metric: 'accuracy' | 'loss';
}

/** One mastery check of a {@link TrainingCurriculum}, logged to `metrics.jsonl` as `kind: "curriculum"`. */
export interface CurriculumCheck {
  kind: 'curriculum';
  step: number;
  /** The length (or stage) that was checked. */
  length: number;
  /** The model's own task accuracy at that stage, by the caller's metric. */
  accuracy: number;
  /** Name of that metric. */
  metric: string;
  /** The length trained on from now on (greater than `length` when the stage was mastered). */
  next: number;
  time: string;
}

/**
 * A training source that is also a curriculum: every `settings.every` steps the trainer asks it to
 * check the model (with whatever metric the caller built it with) and, when the stage changed, resumes
 * from its new `cursor()`. `@procpt/runner`'s `LengthCurriculum` is one.
 */
export interface TrainingCurriculum {
  readonly settings: { readonly every: number };
  check(model: Gpt, step: number): Promise<CurriculumCheck>;
  cursor(): DataCursor;
}

/** Everything the training loop needs. Plain objects: build them from a RunConfig or directly. */
export interface TrainerOptions {
  model: Gpt;
  data: DataSource;
  batchSize: number;
  /** Tokens per row (the model sees `length - 1` inputs); with a curriculum, the longest row. */
  length: number;
  /**
   * A curriculum that is also `data`: rows may be shorter than `length`, and every
   * `curriculum.settings.every` steps the model is checked (and the stage advanced).
   */
  curriculum?: TrainingCurriculum;
  /** Micro-batches per optimizer step. */
  accumulation: number;
  /** Total optimizer steps. */
  steps: number;
  /** Names of the parameters to train (others stay frozen). */
  trainable: readonly string[];
  optimizer: AdamWOptions & { lr: number; gradClip: number | null };
  /**
   * The selected backend's fused AdamW update and gradient norm (`fusedOptimizerFor(report)`; procpt-native has
   * them), used while that backend is active. Without it every backend runs the optimizer as tfjs ops.
   */
  fusedOptimizer?: FusedOptimizer | undefined;
  schedule: ScheduleConfig;
  /** Run seed (dropout masks). */
  seed: number;
  /** Dropout during training (only has an effect when the model's dropout > 0). */
  dropout?: boolean;
  eval?: EvalOptions;
  /** Where to write checkpoints (`<dir>/step-XXXXXXXX`), how often, how many to keep. */
  checkpoints?: { dir: string; every: number; keep: number; meta?: CheckpointMeta };
  /**
   * Keep the weights of the best evaluation so far (by `eval.metric`) in `dir` (weights and config, as
   * `saveCheckpoint` writes them; `meta` plus the step and the evaluation), replaced each time it improves.
   */
  best?: { dir: string; meta?: CheckpointMeta };
  /** JSONL metrics file. */
  metricsPath?: string;
  /** Peak FLOP/s of the device for MFU (null: MFU not reported). */
  peakFlops?: number | null;
  /** Progress display (false: none). */
  progress?: boolean | { stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } };
  /** Debug mode: a tensor leak is an error instead of a warning. */
  debug?: boolean;
  /** Aborting (e.g. on SIGINT) saves a checkpoint after the current step and throws `interrupted`. */
  signal?: AbortSignal;
  /** Called after each step with its metrics (awaited). */
  onStep?: (metrics: StepMetrics) => void | Promise<void>;
  /** Called after each curriculum check (awaited). */
  onCurriculum?: (check: CurriculumCheck) => void | Promise<void>;
  /** Called for warnings (default: stderr). */
  onWarn?: (message: string) => void;
}

/** Rejects options the loop cannot run with, naming the field. */
export function validateOptions(o: TrainerOptions): void {
  const positive = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1)
      throw new ProcptError('config', `${name} must be a positive integer, got ${v}`);
  };
  positive('batchSize', o.batchSize);
  positive('accumulation', o.accumulation);
  positive('steps', o.steps);
  if (!Number.isInteger(o.length) || o.length < 2) {
    throw new ProcptError('config', `length must be an integer >= 2, got ${o.length}`);
  }
  if (o.length - 1 > o.model.config.nPositions) {
    throw new ProcptError(
      'config',
      `length ${o.length} needs nPositions >= ${o.length - 1}, the model has ${o.model.config.nPositions}`,
    );
  }
  if (o.trainable.length === 0)
    throw new ProcptError('config', 'trainable selects no parameter: nothing to train');
  if (o.eval) positive('eval.every', o.eval.every);
  if (o.curriculum) positive('curriculum.every', o.curriculum.settings.every);
  if (o.best && !o.eval) {
    throw new ProcptError('config', 'keeping the best weights needs an evaluation', {
      hint: 'configure an eval source, or drop the best-weights option',
    });
  }
  if (o.checkpoints) {
    positive('checkpoint.every', o.checkpoints.every);
    positive('checkpoint.keep', o.checkpoints.keep);
  }
}
