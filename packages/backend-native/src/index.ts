export {
  type NativeBackendInfo,
  type NativeBackendStatus,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from './backend.js';
export { NATIVE_BACKEND } from './kernel-util.js';
export { FUSED_KERNELS } from './kernels-fused.js';
export { biasGelu, fusedAttention, layerNorm, maskedCrossEntropy, maskedCrossEntropyStats } from './ops.js';
export { type AdamWStep, adamwUpdate } from './optim.js';
