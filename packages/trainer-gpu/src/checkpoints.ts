import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataCursor } from '@procpt/core';
import { ProcptError, formatValue } from '@procpt/core';
import {
  type CheckpointMeta,
  type Gpt,
  loadCheckpoint,
  loadCheckpointExtras,
  saveCheckpoint,
} from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';

/** Everything besides weights and moments that a resumed run needs to continue bit for bit. */
export interface TrainState {
  /** Optimizer steps completed (the next step to run). */
  step: number;
  /** AdamW's bias-correction step count. */
  optimizerStep: number;
  /** Learning rate of the last update (the schedule position is `step`). */
  lr: number;
  /** Serialised trainer RNG (dropout seeds). */
  rng: string;
  /** Data cursor after the last consumed batch (`null` before the first). */
  cursor: DataCursor | null;
  /** Tokens processed so far (all positions of every micro-batch). */
  tokens: number;
  /** Best evaluation metric so far and evaluations since it improved (early stopping). */
  bestEval: number | null;
  evalsWithoutImprovement: number;
}

const PREFIX = 'step-';
const STATE_KEY = 'trainer';

/** Directory name of the checkpoint of `step` (zero-padded, so names sort by step). */
export function checkpointName(step: number): string {
  return `${PREFIX}${String(step).padStart(8, '0')}`;
}

/**
 * Saves weights, AdamW moments and the train state as one atomic checkpoint directory
 * (`model.safetensors`, `optimizer.safetensors`, `config.json`, `procpt.json` with the state).
 */
export async function saveTrainCheckpoint(
  dir: string,
  model: Gpt,
  optimizer: AdamW,
  state: TrainState,
  meta: CheckpointMeta = {},
): Promise<void> {
  await saveCheckpoint(
    dir,
    model,
    { ...meta, step: state.step, [STATE_KEY]: state },
    optimizer.stateTensors(),
  );
}

/** A checkpoint loaded for resuming: the model, its metadata, the train state and the moments. */
export interface LoadedTrainCheckpoint {
  model: Gpt;
  meta: CheckpointMeta;
  state: TrainState;
  moments: Record<string, tf.Tensor>;
}

/** The first field of a saved train state that is out of range, described; undefined when all are fine. */
function badStateField(state: TrainState): string | undefined {
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!count(state.step)) return `step must be a non-negative integer, got ${formatValue(state.step)}`;
  if (!count(state.optimizerStep))
    return `optimizerStep must be a non-negative integer, got ${formatValue(state.optimizerStep)}`;
  if (typeof state.lr !== 'number' || !Number.isFinite(state.lr))
    return `lr must be a number, got ${formatValue(state.lr)}`;
  if (typeof state.tokens !== 'number' || !(state.tokens >= 0))
    return `tokens must be a non-negative number, got ${formatValue(state.tokens)}`;
  if (state.cursor !== null && (typeof state.cursor !== 'object' || Array.isArray(state.cursor)))
    return `cursor must be an object or null, got ${formatValue(state.cursor)}`;
  // (bestEval and evalsWithoutImprovement may be absent in checkpoints of older versions)
  if (state.bestEval != null && typeof state.bestEval !== 'number')
    return `bestEval must be a number or null, got ${formatValue(state.bestEval)}`;
  if (state.evalsWithoutImprovement !== undefined && !count(state.evalsWithoutImprovement))
    return `evalsWithoutImprovement must be a non-negative integer, got ${formatValue(state.evalsWithoutImprovement)}`;
  return undefined;
}

/** Loads a checkpoint written by {@link saveTrainCheckpoint}. The caller disposes `moments`. */
export async function loadTrainCheckpoint(dir: string): Promise<LoadedTrainCheckpoint> {
  const { model, meta } = await loadCheckpoint(dir);
  const state = meta[STATE_KEY] as TrainState | undefined;
  if (!state || typeof state.step !== 'number' || typeof state.rng !== 'string') {
    model.dispose();
    throw new ProcptError('corrupt', `${dir} has no trainer state in procpt.json`, {
      hint: 'resume needs a checkpoint written by procpt train (checkpoints/step-*)',
    });
  }
  const bad = badStateField(state);
  if (bad) {
    model.dispose();
    throw new ProcptError('corrupt', `${join(dir, 'procpt.json')}: trainer state field ${bad}`, {
      hint: 'the checkpoint was modified after saving; resume from another checkpoint',
    });
  }
  const raw = (await loadCheckpointExtras(dir)) ?? new Map();
  const moments: Record<string, tf.Tensor> = {};
  for (const [name, t] of raw) moments[name] = tf.tensor(t.data as Float32Array, t.shape, 'float32');
  return { model, meta, state, moments };
}

/** Checkpoint directories under `dir`, oldest first (incomplete temp directories are ignored). */
export async function listCheckpoints(dir: string): Promise<{ step: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^step-\d{8,}$/.test(n))
    .map((n) => ({ step: Number(n.slice(PREFIX.length)), path: join(dir, n) }))
    .sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint under `dir`, if any. */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  return (await listCheckpoints(dir)).at(-1)?.path;
}

/** Deletes all but the newest `keep` checkpoints under `dir`. */
export async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  const all = await listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    await rm(old.path, { recursive: true, force: true });
  }
}
