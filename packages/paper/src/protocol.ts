import { ProcptError } from '@procpt/core';
import { type DiagnosticTaskName, diagnosticTask } from '@procpt/eval';
import { PAPER_SEEDS, PAPER_TASK_SHAPES, paperFinetuneBudget } from './harness.js';
import { STUDY_PRESETS, STUDY_PRESET_NAMES } from './study-presets.js';

/**
 * How a diagnostic fine-tuning run is set up, as plain data a trainer or study plan consumes: the paper's
 * harness (`experiment_stream.py` + `task_*.py`, HF Trainer defaults filled in) at the budget and seeds of
 * a study preset (`paper`: the paper's own).
 */
export interface DiagnosticProtocol {
  /** The study preset whose budget this is. */
  preset: string;
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

/**
 * The diagnostic protocol for `task` under a study preset (see `STUDY_PRESETS`): the paper's model,
 * optimizer and schedule, with the preset's fine-tuning budget and seeds — `paper`: batch 1000 × 10,000
 * steps (multiplication: 64 × 156,250), 500 LR warm-up steps, 4,000 test examples, 10 seeds.
 */
export function diagnosticProtocol(task: string, preset = 'paper'): DiagnosticProtocol {
  const t = diagnosticTask(task);
  const shape = PAPER_TASK_SHAPES[t.name];
  const [nLayer, nHead, dModel] = shape.size.split('_').map(Number) as [number, number, number];
  const study = Object.hasOwn(STUDY_PRESETS, preset) ? STUDY_PRESETS[preset] : undefined;
  if (!study) {
    throw new ProcptError('usage', `unknown preset ${JSON.stringify(preset)}`, {
      hint: `use one of ${STUDY_PRESET_NAMES.join(', ')}`,
    });
  }
  const budget = preset === 'paper' ? paperFinetuneBudget(t.name) : study.finetune[t.name];
  if (!budget) {
    throw new ProcptError('usage', `preset ${preset} has no fine-tuning budget for ${t.name}`, {
      hint: `use --preset paper, or a task of ${Object.keys(study.finetune).join(', ')}`,
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
    schedule: { kind: 'cosine', warmupSteps: budget.warmupSteps, minLrRatio: 0 },
    batchSize: budget.batchSize,
    steps: budget.steps,
    evalEvery: budget.evalEvery,
    testSize: budget.testSize,
    seeds: preset === 'paper' ? [...PAPER_SEEDS] : [...study.seeds],
    transfer: { parts: ['everything'], embeddingInit: 'average' },
  };
}
