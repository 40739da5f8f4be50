// @procpt/model — GPT-2 on tfjs-core ops, HF-compatible checkpoints, the paper's weight transfer.
export {
  MODEL_PRESETS,
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
export { chunkRowsFor } from './head.js';
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
export { installCpuKernels, installWasmKernels } from './kernels.js';
export {
  FUSED_KERNELS,
  biasGelu,
  fusedAttention,
  hasFusedKernel,
  layerNorm,
  maskedCrossEntropy,
  maskedCrossEntropyStats,
} from './fused-ops.js';
export type { AttentionDropout } from './fused-ops.js';
