export { selectBackend, listBackends, BACKEND_ORDER } from './backends.js';
export type {
  BackendName,
  BackendPreference,
  BackendReport,
  BackendAvailability,
  SelectOptions,
} from './backends.js';
export { AdamW, ADAMW_DEFAULTS, globalNormClip } from './adamw.js';
export type { AdamWOptions } from './adamw.js';
export { decays, noDecayKinds } from './param-groups.js';
export type { NoDecayKind } from './param-groups.js';
export { lrFactor, learningRate } from './schedule.js';
export type { ScheduleConfig, ScheduleKind, FloorMode } from './schedule.js';
export { Trainer } from './trainer.js';
export type { TrainerOptions, EvalOptions, ResumeState, TrainResult } from './trainer.js';
export {
  saveTrainCheckpoint,
  loadTrainCheckpoint,
  listCheckpoints,
  latestCheckpoint,
  pruneCheckpoints,
  checkpointName,
} from './checkpoints.js';
export type { TrainState, LoadedTrainCheckpoint } from './checkpoints.js';
export { MetricsLog, readMetrics, memorySnapshot, mfu } from './metrics.js';
export type { StepMetrics, EvalMetrics, MemorySnapshot } from './metrics.js';
export { computeGradients, scoredTargets } from './step.js';
export type { StepGradients } from './step.js';
export { dropoutSeed } from './seeds.js';
export { estimateTrainingMemory, defaultMemoryLimit, assertFitsInMemory } from './memory.js';
export type { MemoryEstimate } from './memory.js';
export { assertFitsOnWebGpu, largestTrainingTensor } from './gpu-memory.js';
export type { StepShape } from './gpu-memory.js';
export type { WebGpuAdapter, WebGpuLimits } from './webgpu.js';
export { OPTIMIZER_KERNELS } from './kernel-names.js';
export {
  registerWebGpuFusedKernels,
  unregisterWebGpuFusedKernels,
  WEBGPU_FUSED_KERNEL_NAMES,
} from './webgpu-kernels/index.js';
export { runConfigSchema, parseRunConfig, applySets, mergeConfig, readConfigFile } from './config.js';
export type { RunConfig, RunConfigInput, DataSourceConfig } from './config.js';
export { PRESETS, presetNames, resolveRunConfig } from './presets.js';
export { resolveData, shardSource } from './data.js';
export { LengthCurriculum } from './curriculum.js';
export type { CurriculumSettings, CurriculumCheck, LengthCurriculumOptions } from './curriculum.js';
export type { ResolvedData } from './data.js';
export { runTraining, resolveResumePath } from './run.js';
export type { RunOptions, RunSummary } from './run.js';
export { benchTrain, measureMatmulFlops, syntheticSource } from './bench.js';
export type { BenchTrainOptions, BenchTrainResult } from './bench.js';
