// @procpt/model — GPT-2 on tfjs-core ops, HF-compatible checkpoints, the paper's weight transfer.
export {
  MODEL_PRESETS,
  assertModelFits,
  estimateModelMemory,
  flopsPerToken,
  fromHfConfig,
  gptConfig,
  parameterCount,
  sizeKey,
  toHfConfig,
  validateConfig,
} from './config.js';
export type { GptConfig } from './config.js';
export { parameterGroup, parameterSpecs, canonicalName } from './names.js';
export type { ParameterGroup, ParameterSpec, InitKind } from './names.js';
export { Gpt } from './gpt.js';
export type { ForwardOptions, LossOptions } from './gpt.js';
export {
  CHECKPOINT_FILES,
  checkCheckpointOutput,
  isProcptCheckpoint,
  loadCheckpoint,
  loadCheckpointExtras,
  readCheckpointConfig,
  readCheckpointInfo,
  saveCheckpoint,
} from './checkpoint.js';
export type { CheckpointInfo, CheckpointMeta, SaveOptions } from './checkpoint.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  isSafetensorsFile,
  readSafetensors,
  writeSafetensors,
} from './safetensors.js';
export type { RawTensor, SafetensorsDtype } from './safetensors.js';
export { assemble, trainableNames, transfer } from './transfer.js';
export type { AssemblySpec, TransferPart, TransferSpec } from './transfer.js';
// Fused ops: one kernel where the backend registers it (names and signatures: ./kernel-spec, also the subpath
// export @procpt/model/kernel-spec), standard tfjs ops elsewhere.
export { FUSED_KERNELS } from './kernel-spec.js';
export { hasFusedKernel } from './fused-kernel.js';
export { biasGelu, fusedAttention, layerNorm } from './fused-ops.js';
export type { AttentionDropout } from './fused-ops.js';
export { chunkRowsFor, maskedCrossEntropy, maskedCrossEntropyStats } from './head.js';
export type { CrossEntropyOptions } from './head.js';
