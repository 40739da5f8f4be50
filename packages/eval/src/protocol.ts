import { ProcptError } from '@procpt/core';
import { diagnosticTask } from './tasks/index.js';
import type { DiagnosticTaskName } from './tasks/types.js';

/** Names of the diagnostic protocol presets. */
export type DiagnosticPresetName = 'paper' | 'quick' | 'tiny';

/** Every preset name. */
export const DIAGNOSTIC_PRESET_NAMES: readonly DiagnosticPresetName[] = ['paper', 'quick', 'tiny'];

/**
 * How a diagnostic fine-tuning run is set up, as plain data a trainer or study plan consumes. The `paper`
 * preset is the paper's harness (`experiment_stream.py` + `task_*.py`, HF Trainer defaults filled in);
 * `quick` and `tiny` keep everything but the step/batch budget (warm-up keeps its share of the steps).
 */
export interface DiagnosticProtocol {
  preset: DiagnosticPresetName;
  task: DiagnosticTaskName;
  paperId: string;
  model: {
    /** `nLayer_nHead_dModel`, e.g. `2_4_16`. */
    size: string;
    nLayer: number;
    nHead: number;
    dModel: number;
    vocabSize: number;
    nPositions: number;
    /** The harness unties input and output embeddings. */
    tied: false;
    dropout: 0;
  };
  optimizer: {
    kind: 'adamw';
    lr: number;
    beta1: number;
    beta2: number;
    eps: number;
    weightDecay: number;
    /** HF Trainer's default `max_grad_norm`. */
    gradClip: number;
  };
  schedule: {
    kind: 'cosine';
    warmupSteps: number /** decays to lr · minLrRatio (HF cosine: 0) */;
    minLrRatio: 0;
  };
  batchSize: number;
  steps: number;
  evalEvery: number;
  testSize: number;
  /** Run seeds (each fixes test set, training stream and model init). */
  seeds: number[];
  /** How procedural weights enter the diagnostic model (`configs/procedural.yaml`). */
  transfer: { parts: ['everything']; embeddingInit: 'average' };
}

// The paper: max_steps = train_steps · train_size // batch = 250 · 40000 // batch.
const PAPER_EXAMPLES = 250 * 40_000;

interface TaskShape {
  size: string;
  batch: number;
  evalEvery: number;
}

// Per-task settings from the paper's task files (eval_steps differs: 50 for haystack / reversed addition,
// 40 for addition / multiplication; sort is not in the code and follows haystack).
const TASK_SHAPES: Record<DiagnosticTaskName, TaskShape> = {
  haystack: { size: '2_4_16', batch: 1000, evalEvery: 50 },
  addition: { size: '2_4_16', batch: 1000, evalEvery: 40 },
  'reversed-addition': { size: '2_4_16', batch: 1000, evalEvery: 50 },
  multiplication: { size: '4_8_512', batch: 64, evalEvery: 40 },
  sort: { size: '2_4_16', batch: 1000, evalEvery: 50 },
};

/**
 * The diagnostic protocol for `task` under `preset`:
 * - `paper`: batch 1000 × 10,000 steps (multiplication: 64 × 156,250), 500 warm-up steps, 10 seeds;
 * - `quick`: a tenth of the steps at a quarter of the batch (≥ 64), evaluation every 25 steps;
 * - `tiny`: 100 steps at batch 32, evaluation every 10 steps, 3 seeds — a smoke test on a CPU.
 */
export function diagnosticProtocol(task: string, preset: DiagnosticPresetName = 'paper'): DiagnosticProtocol {
  const t = diagnosticTask(task);
  const shape = TASK_SHAPES[t.name];
  const [nLayer, nHead, dModel] = shape.size.split('_').map(Number) as [number, number, number];
  const paperSteps = Math.floor(PAPER_EXAMPLES / shape.batch);
  let batchSize: number;
  let steps: number;
  let evalEvery: number;
  let seeds: number[];
  switch (preset) {
    case 'paper':
      [batchSize, steps, evalEvery, seeds] = [shape.batch, paperSteps, shape.evalEvery, range(10)];
      break;
    case 'quick':
      batchSize = Math.max(64, Math.floor(shape.batch / 4));
      [steps, evalEvery, seeds] = [Math.round(paperSteps / 10), 25, range(10)];
      break;
    case 'tiny':
      [batchSize, steps, evalEvery, seeds] = [32, 100, 10, range(3)];
      break;
    default:
      throw new ProcptError('usage', `unknown diagnostic preset ${JSON.stringify(preset)}`, {
        hint: `use one of ${DIAGNOSTIC_PRESET_NAMES.join(', ')}`,
      });
  }
  return {
    preset,
    task: t.name,
    paperId: t.paperId,
    model: {
      size: shape.size,
      nLayer,
      nHead,
      dModel,
      vocabSize: t.vocabSize,
      nPositions: t.nPositions,
      tied: false,
      dropout: 0,
    },
    optimizer: {
      kind: 'adamw',
      lr: 1e-3,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.001,
      gradClip: 1,
    },
    schedule: { kind: 'cosine', warmupSteps: Math.round((500 / paperSteps) * steps), minLrRatio: 0 },
    batchSize,
    steps,
    evalEvery,
    testSize: 4000,
    seeds,
    transfer: { parts: ['everything'], embeddingInit: 'average' },
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
