/**
 * @procpt/trainer-gpu/internal — pieces of the training loop that procpt's own tools and benchmarks
 * reuse. Not a stable API: names here may change in any release.
 * @internal
 * @module
 */
export { computeGradients, scoredTargets } from './step.js';
export type { StepGradients } from './step.js';
export { checkpointName, pruneCheckpoints } from './checkpoints.js';
export { dropoutSeed } from './seeds.js';
export { decays, noDecayKinds } from './param-groups.js';
export { globalNormClip } from './adamw.js';
export { memorySnapshot, mfu } from './metrics.js';
export { syntheticSource, trainingFlopsPerToken } from './bench.js';
export { webGpuFusedActive } from './gpu-memory.js';
