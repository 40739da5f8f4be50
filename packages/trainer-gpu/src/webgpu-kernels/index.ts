// procpt's fused kernels as WGSL for tfjs-backend-webgpu, registered for backend `webgpu` under the kernel
// names and attributes procpt-native registers its C++ ones with (`FUSED_KERNELS` of @procpt/model), plus the
// optimizer kernels (`OPTIMIZER_KERNELS`). With them registered, @procpt/model's fused ops and trainer-gpu's
// AdamW run one WGSL program (or a few) each instead of tfjs's composite ops.
//
// One difference of contract: `ProcptFusedAttention`'s second output, which the op saves for
// `ProcptFusedAttentionGrad` and otherwise disposes, is procpt-native's probabilities [B, H, T, T] there and
// the flash state (O [B, T, d] then the row log-sum-exps [B, H, T], as one 1-D tensor) here: the webgpu kernels
// never allocate [B, H, T, T]. Both backends' gradients consume their own forward's state.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, OPTIMIZER_KERNELS } from '@procpt/model/kernel-spec';
import { attentionBackward, attentionForward } from './attention.js';
import { maskedCrossEntropy } from './cross-entropy.js';
import { biasGeluBackward, biasGeluForward, layerNormBackward, layerNormForward } from './elementwise.js';
import { type AdamWAttrs, adamw, gradNormClip } from './optimizer.js';
import type { WebGpuBackendInternals } from './program.js';

const BACKEND = 'webgpu';

interface Args {
  inputs: Record<string, TensorInfo> & TensorInfo[];
  backend: WebGpuBackendInternals;
  attrs: Record<string, unknown>;
}
type Kernel = (args: Args) => TensorInfo | TensorInfo[];

function input(args: Args, name: string): TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`webgpu kernel: missing input ${name}`);
  return t;
}

const KERNELS: Record<string, Kernel> = {
  [FUSED_KERNELS.attention]: (a) => attentionForward(a.backend, input(a, 'qkv'), a.attrs),
  [FUSED_KERNELS.attentionGrad]: (a) =>
    attentionBackward(a.backend, input(a, 'dy'), input(a, 'qkv'), input(a, 'probs'), a.attrs),
  [FUSED_KERNELS.layerNorm]: (a) =>
    layerNormForward(
      a.backend,
      input(a, 'x'),
      input(a, 'gamma'),
      input(a, 'beta'),
      a.attrs.epsilon as number,
    ),
  [FUSED_KERNELS.layerNormGrad]: (a) =>
    layerNormBackward(
      a.backend,
      input(a, 'dy'),
      input(a, 'x'),
      input(a, 'gamma'),
      input(a, 'mean'),
      input(a, 'rstd'),
    ),
  [FUSED_KERNELS.biasGelu]: (a) => biasGeluForward(a.backend, input(a, 'x'), input(a, 'bias')),
  [FUSED_KERNELS.biasGeluGrad]: (a) =>
    biasGeluBackward(a.backend, input(a, 'dy'), input(a, 'x'), input(a, 'bias')),
  [FUSED_KERNELS.maskedCrossEntropy]: (a) =>
    maskedCrossEntropy(
      a.backend,
      input(a, 'h'),
      input(a, 'w'),
      input(a, 'targets'),
      input(a, 'weights'),
      a.attrs.withGrad === true,
    ),
  [OPTIMIZER_KERNELS.gradNormClip]: (a) =>
    gradNormClip(a.backend, Object.values(a.inputs), (a.attrs.maxNorm as number | undefined) ?? -1),
  [OPTIMIZER_KERNELS.adamw]: (a) =>
    adamw(
      a.backend,
      input(a, 'param'),
      input(a, 'grad'),
      input(a, 'm'),
      input(a, 'v'),
      input(a, 'scale'),
      a.attrs as unknown as AdamWAttrs,
    ),
};

/** The kernel names the webgpu backend gets from {@link registerWebGpuFusedKernels}. */
export const WEBGPU_FUSED_KERNEL_NAMES: readonly string[] = Object.keys(KERNELS);

/**
 * Registers procpt's WGSL kernels for the `webgpu` backend (idempotent). Call after tfjs-backend-webgpu is
 * imported; `PROCPT_WEBGPU_FUSED=0` makes `selectBackend` skip it (the composite ops run instead).
 */
export function registerWebGpuFusedKernels(): void {
  for (const [kernelName, kernel] of Object.entries(KERNELS)) {
    if (tf.getKernel(kernelName, BACKEND)) continue;
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc: kernel as unknown as tf.KernelFunc });
  }
}

/** Unregisters them again (benchmarks compare fused and composite in one process). */
export function unregisterWebGpuFusedKernels(): void {
  for (const kernelName of Object.keys(KERNELS))
    if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
}

/** Whether the fused WGSL kernels are registered for `webgpu` now. */
export function webGpuFusedKernelsRegistered(): boolean {
  return Object.keys(KERNELS).every((k) => tf.getKernel(k, BACKEND) !== undefined);
}

/**
 * What `selectBackend('webgpu')` does: registers the fused kernels unless `PROCPT_WEBGPU_FUSED=0` (then makes
 * sure they are not registered), and returns the note for its report.
 */
export function installWebGpuFusedKernels(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROCPT_WEBGPU_FUSED === '0') {
    unregisterWebGpuFusedKernels();
    return 'webgpu: fused WGSL kernels off (PROCPT_WEBGPU_FUSED=0): composite tfjs ops';
  }
  registerWebGpuFusedKernels();
  return 'webgpu: fused WGSL kernels (flash attention, LayerNorm, bias+GELU, cross-entropy, AdamW with the norm clip)';
}
