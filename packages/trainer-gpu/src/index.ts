/**
 * @procpt/trainer-gpu — the training loop and the backends it runs on. It trains a `Gpt` from any
 * `DataSource` and knows no task, dataset or paper recipe: run configs that name data live in
 * `@procpt/runner`, the paper's settings in `@procpt/paper`. Internals (gradient step, checkpoint
 * pruning, seeds) are behind `@procpt/trainer-gpu/internal` for procpt's own tools.
 */
export { Trainer } from './trainer.js';
export type {
  CurriculumCheck,
  EvalOptions,
  ResumeState,
  TrainerOptions,
  TrainingCurriculum,
  TrainResult,
} from './trainer.js';
export { AdamW, ADAMW_DEFAULTS } from './adamw.js';
export type {
  AdamWOptions,
  FusedAdamWStep,
  FusedAdamWUpdate,
  FusedGradNorm,
  FusedOptimizer,
} from './adamw.js';
export type { NoDecayKind } from './param-groups.js';
export { lrFactor, learningRate } from './schedule.js';
export type { ScheduleConfig, ScheduleKind, FloorMode } from './schedule.js';
export {
  BACKEND_ORDER,
  fusedOptimizerFor,
  listBackends,
  parseBackendPreference,
  selectBackend,
} from './backends.js';
export type {
  BackendAvailability,
  BackendName,
  BackendPreference,
  BackendReport,
  SelectOptions,
} from './backends.js';
// Patches that let the stock wasm and cpu backends train the model (selectBackend installs them).
export { installCpuKernels, installWasmKernels } from './stock-patches.js';
export {
  latestCheckpoint,
  listCheckpoints,
  loadTrainCheckpoint,
  saveTrainCheckpoint,
} from './checkpoints.js';
export type { LoadedTrainCheckpoint, TrainState } from './checkpoints.js';
export { MetricsLog, readMetrics } from './metrics.js';
export type { EvalMetrics, MemorySnapshot, StepMetrics } from './metrics.js';
export { assertFitsInMemory, defaultMemoryLimit, estimateTrainingMemory } from './memory.js';
export type { MemoryEstimate } from './memory.js';
export { benchTrain, measureMatmulFlops } from './bench.js';
export { assertFitsOnWebGpu, largestTrainingTensor } from './gpu-memory.js';
export type { StepShape } from './gpu-memory.js';
export type { WebGpuAdapter, WebGpuLimits } from './webgpu.js';
export {
  registerWebGpuFusedKernels,
  unregisterWebGpuFusedKernels,
  WEBGPU_FUSED_KERNEL_NAMES,
} from './webgpu-kernels/index.js';
export type { BenchTrainOptions, BenchTrainResult } from './bench.js';
