/**
 * @procpt/paper — what the Procedural Pretraining paper (arXiv 2601.21725) did, in one place: its
 * diagnostic harness, the run recipes of its three stages (procedural pretraining, diagnostic
 * fine-tuning, semantic pretraining), the warm-up recipes procpt searched for the haystack task, the
 * study presets (`tiny`, `quick`, `paper`: one meaning of "preset", a budget for the whole study) and
 * the numbers the paper reports. Everything here is plain data; the packages that train and evaluate
 * know none of it.
 */
export { PAPER_SEEDS, PAPER_TASK_SHAPES, paperFinetuneBudget } from './harness.js';
export type { FinetuneBudget } from './harness.js';
export { diagnosticProtocol } from './protocol.js';
export type { DiagnosticProtocol } from './protocol.js';
export { RUN_RECIPES, resolveRecipe, runRecipeNames } from './run-recipes.js';
export { HAYSTACK_DELETE_RECIPE, HAYSTACK_DYCK_RECIPE } from './warmup-recipes.js';
export type { DiagnosticWarmupRecipe } from './warmup-recipes.js';
export {
  MODEL_SIZES,
  PROCEDURAL_TYPES,
  STUDY_PRESETS,
  STUDY_PRESET_NAMES,
  studyPreset,
  taskRecipe,
} from './study-presets.js';
export type {
  CurriculumRecipe,
  MixtureSpec,
  SemanticSettings,
  StudyPreset,
  WarmupRecipe,
} from './study-presets.js';
export * from './paper-values.js';
