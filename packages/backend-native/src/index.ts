export {
  type AddonLoad,
  type AddonSource,
  type NativeAddon,
  buildCommand,
  PREBUILT_PLATFORMS,
  type ResolveOptions,
  resolveAddon,
} from './addon.js';
export {
  type NativeBackendInfo,
  type NativeBackendStatus,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from './backend.js';
export { NATIVE_BACKEND } from './kernel-util.js';
// The names of the fused kernels this backend implements (the op functions that call them are @procpt/model's).
export { FUSED_KERNELS } from '@procpt/model/kernel-spec';
export { type AdamWStep, adamwUpdate, globalGradNorm } from './optim.js';
export { measurePeakFlops, type PeakFlops, type PeakFlopsOptions } from './peak.js';
