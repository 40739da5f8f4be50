import { ProcptError } from '@procpt/core';
import type { SemanticDomain } from '@procpt/paper';
import type { RunConfigInput } from '@procpt/runner';
import type { ProceduralSource } from '../procedural.js';

/** The study's experiments, in the order `all` runs them. */
export const EXPERIMENTS = ['diagnostics', 'transfer-parts', 'assembly', 'mixtures', 'semantic'] as const;
/** One experiment of the study. */
export type ExperimentName = (typeof EXPERIMENTS)[number];

/** What a finished fine-tuning run reports in its `result.json` (eval's RunSummary fields). */
export interface ResultLabels {
  kind: 'diagnostic' | 'semantic';
  task: string;
  procedural: string;
  transfer?: string;
  assembly?: string;
  shuffled?: boolean;
  proceduralTokens?: number;
}

/** One run of the plan: a training run (trainer RunConfig) plus what the study does around it. */
export interface PlannedRun {
  /** `<stage>/<name>`, unique in the plan; also the run's directory under `--out`. */
  id: string;
  stage: 'pretrain' | 'finetune';
  name: string;
  /** Absolute run directory. */
  dir: string;
  /** Experiments that need this run. */
  experiments: ExperimentName[];
  /** Runs that must be complete first (ids). */
  deps: string[];
  seed: number;
  /** The trainer config (absolute paths); `model.init` of assembled runs is set by the executor. */
  config: RunConfigInput;
  /** The folder of this run that later runs start from: its last weights, or its best evaluation's. */
  weights: 'final' | 'best';
  /** Pretraining runs: the procedural data they warm up on. */
  warmup?: {
    label: string;
    source: ProceduralSource;
    /** The transfer its recipe was found with (the diagnostics experiment's, in place of `everything`). */
    transfer?: ('everything' | 'attn' | 'ffn' | 'ln')[];
  };
  /** Runs whose initial weights are assembled by part (attention from one warm-up, MLP from another). */
  assemble?: { attn: string; ffn: string };
  /** Semantic runs: the corpus domain and the directory its token shards are prepared in. */
  semantic?: {
    domain: SemanticDomain;
    dataDir: string;
    vocabSize: number;
    mathPerModule: number;
    maxDocuments?: number;
  };
  /** Fine-tuning runs: the result labels and the final diagnostic evaluation. */
  result?: ResultLabels;
  evaluate?: { task: string; seed: number; testSize: number };
  /** Planned training tokens (rows × row length; the row length of procedural data is estimated). */
  tokens: number;
  /** Model size and context for FLOP estimates. */
  shape: { size: string; vocabSize: number; nPositions: number; length: number };
}

/** A study plan: runs in dependency order. */
export interface StudyPlan {
  preset: string;
  experiments: ExperimentName[];
  out: string;
  runs: PlannedRun[];
  /** Experiments left out and why (e.g. data this build cannot prepare). */
  notes: string[];
}

/** Parses `all` or a comma-separated list of experiment names. */
export function parseExperiments(spec: string): ExperimentName[] {
  if (spec === 'all') return [...EXPERIMENTS];
  const names = spec.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(EXPERIMENTS as readonly string[]).includes(n)) {
      throw new ProcptError('usage', `unknown experiment ${JSON.stringify(n)}`, {
        hint: `use all or one of ${EXPERIMENTS.join(', ')} (comma-separated)`,
      });
    }
  }
  return [...new Set(names)] as ExperimentName[];
}
