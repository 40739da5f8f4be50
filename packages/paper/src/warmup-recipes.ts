/**
 * A procedural warm-up for a diagnostic task, as plain data: what to generate, how to train the warm-up
 * model (same shape as the task's model), and how to transfer it. The field names match the study's
 * `WarmupRecipe` (`params`, `steps`, `batchSize`, `lr`, `weightDecay`, `warmupSteps`) so a preset can take
 * `{ dyck: HAYSTACK_DYCK_RECIPE }` as its warm-up and `HAYSTACK_DYCK_RECIPE.transfer` as its transfer.
 */
export interface DiagnosticWarmupRecipe {
  /** Stable name, used in reports and run labels. */
  name: string;
  /** procgen generator type. */
  type: string;
  /** procgen generator parameters. */
  params: Readonly<Record<string, unknown>>;
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Linear warm-up steps (then constant LR, as the paper's procedural stage). */
  warmupSteps: number;
  dropout: number;
  tied: boolean;
  /** The paper's length curriculum (trainer `data.train.curriculum`); absent: train at `params.length`. */
  curriculum?: Readonly<Partial<Record<'start' | 'step' | 'threshold' | 'every' | 'samples', number>>>;
  /** How the warm-up enters the diagnostic model (`@procpt/model`'s `TransferSpec`). */
  transfer: {
    parts: ('everything' | 'attn' | 'ffn' | 'ln')[];
    embeddingInit: 'average' | 'retain' | 'random';
  };
  /** The warm-up's own task accuracy this recipe reaches (see `warmupAccuracy`), as measured. */
  expectedWarmupAccuracy: number;
}

/**
 * How the issue-10 search trained and transferred its warm-ups (the PyTorch screen and procpt alike):
 * batch 64, lr 3e-3 constant, wd 0.01, no dropout, tied embeddings, then attention-only transfer.
 */
const SEARCH_TRAINING = {
  batchSize: 64,
  lr: 3e-3,
  weightDecay: 0.01,
  warmupSteps: 0,
  dropout: 0,
  tied: true,
  transfer: { parts: ['attn'], embeddingInit: 'random' },
} as const satisfies Omit<
  DiagnosticWarmupRecipe,
  'name' | 'type' | 'params' | 'steps' | 'expectedWarmupAccuracy' | 'curriculum'
>;

/**
 * The best Dyck warm-up for the needle-in-a-haystack diagnostic that the issue-10 search found: a
 * 2_4_16 model that masters 4-Dyck at length 64 (closing-bracket accuracy ≥ 99.3% in every seed, PyTorch and procpt), then
 * the paper's attention-only transfer (only `attn.c_attn`/`attn.c_proj`; embeddings, LayerNorms and MLPs
 * fresh). It is the best of the recipes tried but it does NOT reproduce the paper's 10% → 98%: what was
 * measured with it is in docs/reproduction.md.
 */
export const HAYSTACK_DYCK_RECIPE: DiagnosticWarmupRecipe = {
  name: 'dyck-k4-L64-mastered-attn',
  type: 'dyck',
  params: { k: 4, length: 64, pOpen: 0.5 },
  steps: 4000,
  ...SEARCH_TRAINING,
  expectedWarmupAccuracy: 0.99,
};

/**
 * The warm-up that reproduces the haystack headline's shape (issue 10): the paper's Delete task
 * (`x, SEP, d, SEP, x without its first d`) at V = 100, L = 16, learned by the 2_4_16 model (about 96% of
 * output tokens), then the paper's attention-only transfer. At the deletion point the model must find `d`
 * in `x` and emit the token after it: the haystack's "find the key, copy the next token" operation. Gains are
 * seed-dependent, at the paper's full budget too (a quarter of the seeds cross: the retrieval circuit forms
 * within the budget or not); what was measured with it is in docs/reproduction.md.
 */
export const HAYSTACK_DELETE_RECIPE: DiagnosticWarmupRecipe = {
  name: 'delete-V100-L16-attn',
  type: 'delete',
  params: { vocabSize: 100, length: 16 },
  steps: 6000,
  ...SEARCH_TRAINING,
  expectedWarmupAccuracy: 0.95,
};
