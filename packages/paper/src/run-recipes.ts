import { DIAGNOSTIC_TASK_NAMES } from '@procpt/eval';
import { type RunConfig, type RunRecipes, type RunConfigInput, resolveRunConfig } from '@procpt/runner';
import { diagnosticProtocol } from './protocol.js';

/**
 * The paper's procedural pretraining stage (`procedural_pretraining/configs/*.yaml`): GPT-2 small
 * (12_12_768, dropout 0.1, tied), torch AdamW lr 5e-4 constant, weight decay 0.1 on every
 * parameter, clip 1.0, validation every 500 steps on 10 batches (masked accuracy, patience 50),
 * checkpoints every 500 steps, seed 42.
 */
function procedural(
  type: string,
  params: Record<string, unknown>,
  shape: { batch: number; accumulation: number; steps: number },
): RunConfigInput {
  return {
    name: `procedural-${type}`,
    seed: 42,
    steps: shape.steps,
    model: { size: '12_12_768', tied: true, dropout: 0.1 },
    data: {
      train: { kind: 'procgen', type, params },
      eval: { kind: 'procgen', type, params },
      batchSize: shape.batch,
      accumulation: shape.accumulation,
    },
    optimizer: { lr: 5e-4, weightDecay: 0.1, noDecay: [], gradClip: 1 },
    schedule: { kind: 'constant', warmupSteps: 0 },
    eval: { every: 500, batches: 10, patience: 50, metric: 'accuracy' },
    checkpoint: { every: 500, keep: 20 },
  };
}

const SEQUENCE_TASK = { batch: 64, accumulation: 1, steps: 2501 };
const DYCK = { batch: 4, accumulation: 8, steps: 501 };

/**
 * The HF-Trainer harness of the diagnostic tasks (`downstream/algorithmic_tasks`): untied 2_4_16
 * (multiplication 4_8_512), dropout 0, AdamW lr 1e-3, weight decay 0.001 except biases and
 * LayerNorms (HF's default grouping), cosine to 0 after 500 warm-up steps, clip 1.0, evaluation on
 * the 4000-example test set. From scratch (the baseline); set `model.init` to transfer procedural weights.
 */
function diagnostic(task: string): RunConfigInput {
  const p = diagnosticProtocol(task, 'paper');
  return {
    name: `diagnostic-${p.task}`,
    seed: p.seeds[0] ?? 0,
    steps: p.steps,
    model: {
      size: p.model.size,
      vocabSize: p.model.vocabSize,
      nPositions: p.model.nPositions,
      tied: false,
      dropout: 0,
    },
    data: {
      train: { kind: 'diagnostic', task: p.task },
      eval: { kind: 'diagnostic', task: p.task, testSize: p.testSize },
      batchSize: p.batchSize,
    },
    optimizer: {
      lr: p.optimizer.lr,
      weightDecay: p.optimizer.weightDecay,
      noDecay: ['bias', 'ln'],
      gradClip: 1,
    },
    schedule: { kind: 'cosine', warmupSteps: p.schedule.warmupSteps, minLrRatio: 0, floor: 'scale' },
    eval: {
      every: p.evalEvery,
      batches: Math.ceil(p.testSize / p.batchSize),
      patience: 0,
      metric: 'accuracy',
    },
    checkpoint: { every: p.evalEvery * 20, keep: 2 },
  };
}

/**
 * Semantic pretraining (`downstream/semantic/configs`): a fresh 12_12_768 on a token shard
 * (`data.train.path` must be set). Baseline from scratch; the paper's full-model transfer is
 * `model.init = {from: transfer, path, parts: [attn, ffn, ln], embeddingInit: random}`.
 */
const SEMANTIC: Record<string, RunConfigInput> = {
  'semantic/c4': {
    name: 'semantic-c4',
    seed: 3407,
    steps: 10_000,
    model: { size: '12_12_768', vocabSize: 50257, nPositions: 2048, tied: true, dropout: 0.1 },
    // HF Trainer: weight decay left at 0; cosine_with_min_lr (0.1×), no warm-up, batch 4 × 8.
    data: {
      train: { kind: 'shard', path: '', vocabSize: 50257 },
      batchSize: 4,
      accumulation: 8,
      length: 2049,
    },
    optimizer: { lr: 5e-4, weightDecay: 0, noDecay: ['bias', 'ln'], gradClip: 1 },
    schedule: { kind: 'cosine', warmupSteps: 0, minLrRatio: 0.1, floor: 'scale' },
    eval: { every: 500, batches: 10, patience: 0, metric: 'loss' },
    checkpoint: { every: 500, keep: 3 },
  },
  'semantic/codeparrot': {
    name: 'semantic-codeparrot',
    seed: 42,
    steps: 50_000,
    model: { size: '12_12_768', vocabSize: 32768, nPositions: 1024, tied: true, dropout: 0.1 },
    data: { train: { kind: 'shard', path: '', vocabSize: 32768 }, batchSize: 8, length: 1025 },
    // Its no-decay pattern "LayerNorm.weight" misses GPT-2's ln_* names: only biases are exempt.
    optimizer: { lr: 5e-5, weightDecay: 0.01, noDecay: ['bias'], gradClip: 1 },
    schedule: { kind: 'cosine', warmupSteps: 0, minLrRatio: 0, floor: 'scale' },
    eval: { every: 5000, batches: 101, patience: 0, metric: 'loss' },
    checkpoint: { every: 5000, keep: 3 },
  },
  'semantic/dm-math': {
    name: 'semantic-dm-math',
    seed: 42,
    steps: 50_000,
    model: { size: '12_12_768', vocabSize: 99, nPositions: 512, tied: true, dropout: 0.1 },
    data: { train: { kind: 'shard', path: '', vocabSize: 99 }, batchSize: 64, length: 513 },
    optimizer: { lr: 5e-5, weightDecay: 0.01, noDecay: ['bias'], gradClip: 1 },
    schedule: { kind: 'cosine', warmupSteps: 0, minLrRatio: 0, floor: 'scale' },
    eval: { every: 5000, batches: 101, patience: 0, metric: 'loss' },
    checkpoint: { every: 5000, keep: 3 },
  },
};

function buildRecipes(): Record<string, RunConfigInput> {
  const out: Record<string, RunConfigInput> = {};
  for (const type of ['identity', 'reverse', 'sort', 'set', 'union', 'delete', 'stack']) {
    out[`procedural/${type}`] = procedural(type, { vocabSize: 100, length: 64 }, SEQUENCE_TASK);
  }
  out['procedural/dyck'] = procedural('dyck', { k: 64, length: 2048, pOpen: 0.5 }, DYCK);
  out['procedural/dyck-shuffle'] = procedural(
    'dyck-shuffle',
    { k: 64, length: 2048, pOpen: 0.5, maxDepth: 16 },
    DYCK,
  );
  for (const task of DIAGNOSTIC_TASK_NAMES) out[`diagnostic/${task}`] = diagnostic(task);
  Object.assign(out, SEMANTIC);
  return out;
}

/**
 * The paper's run configs, one per stage and data type / task / corpus (`procedural/sort`,
 * `diagnostic/haystack`, `semantic/c4`, …): what `procpt train --recipe NAME` starts from.
 */
export const RUN_RECIPES: RunRecipes = buildRecipes();

/** Names of {@link RUN_RECIPES}. */
export function runRecipeNames(): string[] {
  return Object.keys(RUN_RECIPES);
}

/**
 * `@procpt/runner`'s `resolveRunConfig` with the paper's recipes: `{ recipe: 'procedural/sort', steps: 200 }`
 * is the paper's sort.yaml with 200 steps.
 */
export function resolveRecipe(raw: unknown, where = 'config'): RunConfig {
  return resolveRunConfig(raw, { recipes: RUN_RECIPES, where });
}
