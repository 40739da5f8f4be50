// The custom kernel names the webgpu kernels register under, from ONE place: the fused ops' names are
// @procpt/model's (the same ones procpt-native registers), so pointing this import at
// `@procpt/model/kernel-spec` is a one-line change.
import { FUSED_KERNELS } from '@procpt/model';

export { FUSED_KERNELS };

/**
 * The optimizer kernels a backend may register: `AdamW` and `globalNormClip` run them when the
 * active backend has them (the webgpu backend does; procpt-native has its in-place hooks instead).
 *
 * - `ProcptGradNormClip`: inputs are the gradients (an array, like `AddN`); attr `maxNorm` (a number, or a
 *   negative one for no clipping). Outputs `[norm [], scale []]`: the global L2 norm and PyTorch's
 *   `clip_grad_norm_` factor `min(1, maxNorm / (norm + 1e-6))`, both left on the device.
 * - `ProcptAdamW`: inputs `{ param, grad, m, v, scale }` (`scale` a [] tensor multiplying the gradient first);
 *   attrs `{ lr, beta1, beta2, eps, weightDecay, step }` (`step` 1-based). Outputs `[param, m, v]` after one
 *   `torch.optim.AdamW` update, as new tensors the caller assigns.
 */
export const OPTIMIZER_KERNELS = {
  gradNormClip: 'ProcptGradNormClip',
  adamw: 'ProcptAdamW',
} as const;
