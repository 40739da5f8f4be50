import { ProcptError } from '@procpt/core';

/** Shape of the learning-rate curve after warmup. */
export type ScheduleKind = 'constant' | 'cosine' | 'linear';

/**
 * How the decay meets its floor `minLrRatio`:
 * - `clamp`: `max(minLrRatio, f)` — the paper's procedural trainer (`utils.get_lr_scheduler`);
 * - `scale`: `minLrRatio + (1 - minLrRatio)·f` — Hugging Face `cosine_with_min_lr` (and, with
 *   `minLrRatio = 0`, HF `cosine` / `linear`).
 */
export type FloorMode = 'clamp' | 'scale';

/** A learning-rate schedule: linear warmup from 0, then constant, cosine or linear decay. */
export interface ScheduleConfig {
  kind: ScheduleKind;
  /** Steps of linear warmup `step / warmupSteps` (0 = none). */
  warmupSteps: number;
  /** Step at which the decay reaches its floor (normally the run's total steps). */
  totalSteps: number;
  /** Floor as a fraction of the base rate (paper: 0.1). Ignored by `constant`. */
  minLrRatio: number;
  floor: FloorMode;
}

/**
 * Multiplier of the base learning rate for optimizer step `step` (0-based: the first update uses
 * `step = 0`, like PyTorch's `LambdaLR` and HF schedulers).
 */
export function lrFactor(config: ScheduleConfig, step: number): number {
  if (!Number.isInteger(step) || step < 0) {
    throw new ProcptError('runtime', `learning-rate step must be a non-negative integer, got ${step}`);
  }
  const { warmupSteps, totalSteps, minLrRatio } = config;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (config.kind === 'constant') return 1;
  const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
  const decay = config.kind === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
  return config.floor === 'clamp' ? Math.max(minLrRatio, decay) : minLrRatio + (1 - minLrRatio) * decay;
}

/** Learning rate of step `step` for base rate `lr`. */
export function learningRate(lr: number, config: ScheduleConfig, step: number): number {
  return lr * lrFactor(config, step);
}
