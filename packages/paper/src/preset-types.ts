import type { FinetuneBudget } from './harness.js';
import type { SemanticDomain } from './paper-values.js';
import type { DiagnosticWarmupRecipe } from './warmup-recipes.js';

/**
 * How one procedural type is warmed up: the generator parameters and the training budget of the
 * procedural stage. The model shape is not here: it is the shape of the task the warm-up feeds.
 */
export interface WarmupRecipe {
  /** procgen generator parameters (`createGenerator({ type, seed, ...params })`). */
  params: Record<string, unknown>;
  steps: number;
  batchSize: number;
  /** Micro-batches per optimizer step. */
  accumulation?: number;
  lr: number;
  weightDecay?: number;
  /** Linear warm-up steps of the LR schedule (constant afterwards). */
  warmupSteps?: number;
  /** Context of the warm-up model (≥ the generator's row length − 1); default: the task's. */
  nPositions?: number;
  /** Dropout of the warm-up model (default 0.1, GPT-2's). */
  dropout?: number;
  /** Tied input/output embeddings (default true). */
  tied?: boolean;
  /** Evaluate the warm-up on its own task every this many steps (default: four times per run). */
  evalEvery?: number;
  /** Batches of that evaluation (default 4). */
  evalBatches?: number;
  /**
   * Hand the weights of the best evaluation (by accuracy) to the runs that start from this warm-up instead
   * of the last ones, as the paper's `dyck.py` keeps its best checkpoint by validation accuracy.
   */
  keepBest?: boolean;
  /**
   * The transfer this warm-up was found to work with (e.g. attention-only for the searched haystack
   * recipes); the `diagnostics` experiment uses it instead of the paper's `everything`.
   */
  transfer?: ('everything' | 'attn' | 'ffn' | 'ln')[];
  /** Names a task-specific recipe in run directories (`dyck-2_4_16-<name>-s42`). */
  name?: string;
  /**
   * The paper's length curriculum (`use_curriculum`): start at `start` (default 2), grow by `step`
   * (default 2) when the warm-up's own accuracy reaches `threshold` (default 0.99), checked every
   * `every` steps (default 100), up to `params.length`. Not applied to shuffled controls or mixtures
   * (they cannot be mastered): those train at the full length for the same steps.
   */
  curriculum?: CurriculumRecipe;
}

/** Settings of a warm-up's length curriculum (every field optional; see `WarmupRecipe.curriculum`). */
export type CurriculumRecipe = Partial<Record<'start' | 'step' | 'threshold' | 'every' | 'samples', number>>;

/** A mixture of procedural types (weights sum to 1). */
export interface MixtureSpec {
  name: string;
  components: Record<string, number>;
}

/** The semantic experiment of a preset. */
export interface SemanticSettings {
  domains: SemanticDomain[];
  /** Procedural types front-loaded (full-block transfer, embeddings re-initialised). */
  types: string[];
  /** Model size `nLayer_nHead_dModel` (the paper: 12_12_768; 350M = 24_16_1024; 1.3B = 24_16_2048). */
  size: string;
  steps: number;
  batchSize: number;
  accumulation: number;
  /** Tokens per row. */
  length: number;
  lr: number;
  evalEvery: number;
  evalBatches: number;
  /** Procedural tokens as a fraction of the semantic tokens (the paper: 0.001–0.003). */
  proceduralFraction: number;
  /** DM-Math problems generated per module file for the math domain's shards. */
  mathPerModule: number;
  /** Language/code: embedded documents tokenized (all when absent). */
  maxDocuments?: number;
  /** Seeds of the semantic runs (default: the preset's seeds). */
  seeds?: number[];
}

/** A complete study preset: what every experiment runs, at what budget, with how many seeds. */
export interface StudyPreset {
  name: string;
  description: string;
  seeds: number[];
  /** Seed of the shared warm-up runs (one warm-up per type and model shape, reused by every seed). */
  warmupSeed: number;
  /**
   * Seed of every fine-tune's training stream; absent: the run seed. The paper's harness gives the HF
   * Trainer no seed, so it re-seeds with its default 42 after the model and the test set are built: one
   * training stream for every run seed, which then changes only the fresh init and the test set.
   */
  finetuneStreamSeed?: number;
  diagnostics: {
    types: string[];
    tasks: string[];
    shuffled: string[];
    /** Types and shuffled controls of one task, in place of `types` and `shuffled` (fewer rows where time is short). */
    byTask?: Record<string, { types: string[]; shuffled: string[] }>;
  };
  /** Fine-tuning budget per diagnostic task. */
  finetune: Record<string, FinetuneBudget>;
  /** THE warm-up recipe per procedural type. Override with `--warmup <file.json>` (merged per type). */
  warmup: Record<string, WarmupRecipe>;
  /**
   * Task-specific recipes that replace `warmup[type]` for the warm-ups feeding that diagnostic task
   * (e.g. the Dyck recipe searched for the haystack task); shuffled controls follow their type's recipe.
   */
  warmupByTask?: Record<string, Record<string, WarmupRecipe>>;
  transferParts: { types: string[]; tasks: string[]; parts: ('attn' | 'ffn' | 'ln')[] };
  assembly: { attn: string; ffn: string; tasks: string[] };
  mixtures: { mixtures: MixtureSpec[]; tasks: string[] };
  semantic: SemanticSettings;
  /** Checkpoint every this many steps (resume granularity). */
  checkpointEvery: number;
  /** What this preset's numbers can and cannot show; the report prints it above the results. */
  reportNote?: string;
}

/** The paper's model sizes (semantic stage), by parameter count. */
export const MODEL_SIZES = { '124M': '12_12_768', '350M': '24_16_1024', '1.3B': '24_16_2048' } as const;

/** The sequence-transformation types (the paper's `algorithmic.py` tasks). */
export const SEQUENCE_TYPES = ['identity', 'reverse', 'sort', 'set', 'union', 'delete', 'stack'];
/** Every procedural type of the paper. */
export const PROCEDURAL_TYPES = [...SEQUENCE_TYPES, 'dyck', 'dyck-shuffle', 'eca', 'ww', 'markov'] as const;

/** One recipe per procedural type from a sequence-task budget and a Dyck budget (a preset's `warmup`). */
export function recipes(
  sequence: Omit<WarmupRecipe, 'params'> & { vocabSize: number; length: number },
  dyck: Omit<WarmupRecipe, 'params'> & { k: number; length: number },
): Record<string, WarmupRecipe> {
  const { vocabSize, length, ...seqBudget } = sequence;
  const { k, length: dyckLength, ...dyckBudget } = dyck;
  const out: Record<string, WarmupRecipe> = {};
  for (const t of [...SEQUENCE_TYPES, 'ww']) out[t] = { params: { vocabSize, length }, ...seqBudget };
  out.markov = { params: { states: vocabSize, length: 2 * length }, ...seqBudget };
  // Rule 110 rows of `length` cells, 4 successive rows (cells 0/1, SEP after each row).
  out.eca = { params: { rule: 110, width: length, rows: 4 }, ...seqBudget };
  out.dyck = { params: { k, length: dyckLength, pOpen: 0.5 }, ...dyckBudget };
  out['dyck-shuffle'] = { params: { k, length: dyckLength, pOpen: 0.5, maxDepth: 16 }, ...dyckBudget };
  return out;
}

/** A searched diagnostic recipe (`HAYSTACK_*_RECIPE`) as a task-specific warm-up of a preset. */
export function taskRecipe(r: DiagnosticWarmupRecipe): WarmupRecipe {
  return {
    name: r.name,
    params: { ...r.params },
    steps: r.steps,
    batchSize: r.batchSize,
    lr: r.lr,
    weightDecay: r.weightDecay,
    warmupSteps: r.warmupSteps,
    dropout: r.dropout,
    tied: r.tied,
    transfer: [...r.transfer.parts],
    ...(r.curriculum ? { curriculum: { ...r.curriculum } } : {}),
  };
}
