/**
 * @procpt/runner — run configs. One YAML/JSON file names a training run's data (procgen generators,
 * llm.c token shards, diagnostic tasks, DeepMind-Math files), its model (from scratch, a checkpoint or
 * the paper's transfer), optimizer, schedule, evaluation and checkpoints; `runTraining` trains it with
 * `@procpt/trainer-gpu`, resumably. Named recipes (e.g. `@procpt/paper`'s `RUN_RECIPES`) are passed in.
 */
export { applySets, mergeConfig, parseRunConfig, readConfigFile, runConfigSchema } from './config.js';
export type { DataSourceConfig, RunConfig, RunConfigInput } from './config.js';
export { resolveRunConfig } from './recipes.js';
export type { ResolveOptions, RunRecipes } from './recipes.js';
export { resolveData, shardSource } from './data.js';
export type { ResolvedData } from './data.js';
export { LengthCurriculum } from './curriculum.js';
export type { CurriculumSettings, LengthCurriculumOptions } from './curriculum.js';
export { RUN_FILES, isRunFolder, recoverRunFolder, resolveResumePath, runTraining } from './run.js';
export type { RunOptions, TrainingRun } from './run.js';
