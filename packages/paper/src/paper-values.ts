/**
 * Every number the report compares against, with where it comes from. Values are as the paper reports
 * them: accuracies in percent, losses as perplexities, fractions in percent. Sources (tags as in the
 * reference digest): [ABS] arXiv 2601.21725 abstract; [PAGE] the authors' project page
 * (`zlshinnick/procedural-pretraining-page`, `index.html` / `static/js/main.js`); [FIG] read from its figures.
 */

/** One reported number. */
export interface PaperValue {
  /** Percent for accuracies and fractions; perplexity for language/code. */
  value: number;
  source: string;
}

/** Diagnostic accuracy (%) keyed by task, then by pretraining label (`none`, a type, `best-shuffled`). */
export const PAPER_DIAGNOSTICS: Readonly<Record<string, Readonly<Record<string, PaperValue>>>> = {
  haystack: {
    none: { value: 11.3, source: '[PAGE] bar chart; [ABS] says 10%' },
    dyck: { value: 96.9, source: '[PAGE] bar chart; [ABS] says 98%' },
    'best-shuffled': { value: 10.3, source: '[PAGE] bar chart' },
  },
  'reversed-addition': {
    none: { value: 76.4, source: '[PAGE]' },
    eca: { value: 91.0, source: '[PAGE] text (the figure highlights dyck-shuffle ≈ 87)' },
    'dyck-shuffle': { value: 87, source: '[FIG] llm_algorithmic_tasks.png, read by eye' },
    'best-shuffled': { value: 65.0, source: '[PAGE]' },
  },
  multiplication: {
    none: { value: 42.7, source: '[PAGE]' },
    union: { value: 63.5, source: '[PAGE]' },
    'best-shuffled': { value: 48.4, source: '[PAGE]' },
  },
};

/** The paper's weight-composition table (%), [PAGE] verbatim; rows keyed by the study's row labels. */
export const PAPER_ASSEMBLY: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  none: { haystack: 11.3, addition: 59.1, 'reversed-addition': 76.4, sort: 82.7, average: 57.4 },
  'set [attn]': { haystack: 88.9, addition: 81.1, 'reversed-addition': 54.4, sort: 98.1, average: 80.6 },
  eca: { haystack: 10.5, addition: 69.6, 'reversed-addition': 91.0, sort: 76.9, average: 62.0 },
  'set:attn+eca:ffn': {
    haystack: 94.4,
    addition: 80.3,
    'reversed-addition': 82.9,
    sort: 99.4,
    average: 89.3,
  },
};
/** Source of {@link PAPER_ASSEMBLY}. */
export const PAPER_ASSEMBLY_SOURCE = '[PAGE] weight-composition table';

/** Semantic domains of the study and the corpus each one trains on. */
export const SEMANTIC_CORPORA = { language: 'c4', code: 'codeparrot', math: 'dm-math' } as const;
/** A semantic domain. */
export type SemanticDomain = keyof typeof SEMANTIC_CORPORA;

/**
 * Substitutive setting: semantic tokens needed to reach the baseline's final loss, as a percentage of the
 * baseline's tokens ([ABS] 55/67/86%; [PAGE] 655M → 367M, 983M → 664M, 1.64B → 1.41B).
 */
export const PAPER_TOKENS_TO_TARGET: Readonly<Record<SemanticDomain, PaperValue>> = {
  language: { value: 55, source: '[ABS] C4 55% ([PAGE] 655M → 367M tokens)' },
  code: { value: 67, source: '[ABS] CodeParrot 67% ([PAGE] 983M → 664M tokens)' },
  math: { value: 86, source: '[ABS] DM-Math 86% ([PAGE] 1.64B → 1.41B tokens)' },
};

/** Final validation perplexity / accuracy of the additive curves ([PAGE] main.js, GPT-2 small). */
export const PAPER_SEMANTIC_FINAL: Readonly<
  Record<SemanticDomain, { metric: string; values: Readonly<Record<string, number>>; source: string }>
> = {
  language: {
    metric: 'perplexity',
    values: { none: 62.03, sort: 58.82, set: 59.85, union: 59.9 },
    source: '[PAGE] C4 curve at 10k steps',
  },
  code: {
    metric: 'perplexity',
    values: { none: 5.47, set: 5.15, union: 5.13 },
    source: '[PAGE] CodeParrot curve at 20k steps',
  },
  math: {
    metric: 'problem accuracy (%)',
    values: { none: 41.2, set: 42.5, union: 42.7 },
    source: '[PAGE] DM-Math curve at 50k steps',
  },
};

/** The amount of procedural data front-loaded in the semantic experiments ([ABS] v2). */
export const PAPER_PROCEDURAL_FRACTION = { low: 0.001, high: 0.003, source: '[ABS] "0.1 to 0.3%"' } as const;

/** Mixture results ([FIG] scatter plots; WikiText perplexity, Set/Union mixtures), read by eye. */
export const PAPER_MIXTURES = {
  wikitext: { set: 50.85, union: 52.0, bestMixture: 49.6 },
  source: '[FIG] scatter_wiki_prefix.png, read by eye (≈ ±0.3)',
} as const;
