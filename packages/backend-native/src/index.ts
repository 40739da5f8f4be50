export {
  type NativeBackendInfo,
  type NativeBackendStatus,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from './backend.js';
export { NATIVE_BACKEND } from './kernel-util.js';
// The fused ops and their kernel names live in @procpt/model (pure tfjs-core); re-exported for convenience.
export {
  FUSED_KERNELS,
  biasGelu,
  fusedAttention,
  layerNorm,
  maskedCrossEntropy,
  maskedCrossEntropyStats,
} from '@procpt/model';
export { type AdamWStep, adamwUpdate, globalGradNorm } from './optim.js';
export { measurePeakFlops, type PeakFlops, type PeakFlopsOptions } from './peak.js';
