/**
 * `@procpt/model/kernel-spec`: the contract of procpt's custom tfjs kernels, as tfjs-core's `kernel_names.ts` is for
 * the stock ones. The model's fused ops run these kernels when the active backend registers them, and the same
 * maths as standard tfjs ops otherwise; a backend that implements them (procpt-native in `@procpt/backend-native`,
 * WebGPU) registers each under its name with the inputs, attributes and outputs given here. Kernel names and
 * types only: importing this module loads no tfjs code and none of the model. Backends depend on every name and
 * signature here, so changing one is a breaking change.
 *
 * @packageDocumentation
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Names of procpt's fused transformer kernels. A backend registers an implementation under a name with
 * `tf.registerKernel({ kernelName, backendName, kernelFunc })`; the model's op of the same concept then runs it on
 * that backend. Each kernel's inputs, attributes and outputs are specified by the `…Inputs` / `…Attrs` types below.
 */
export const FUSED_KERNELS = {
  /** Causal multi-head self-attention: `FusedAttentionInputs`, `FusedAttentionAttrs`. */
  attention: 'ProcptFusedAttention',
  /** Gradient of `FUSED_KERNELS.attention`: `FusedAttentionGradInputs`, `FusedAttentionAttrs`. */
  attentionGrad: 'ProcptFusedAttentionGrad',
  /** LayerNorm over the last axis: `LayerNormInputs`, `LayerNormAttrs`. */
  layerNorm: 'ProcptLayerNorm',
  /** Gradient of `FUSED_KERNELS.layerNorm`: `LayerNormGradInputs`, no attributes. */
  layerNormGrad: 'ProcptLayerNormGrad',
  /** GELU of `x + bias`: `BiasGeluInputs`, no attributes. */
  biasGelu: 'ProcptBiasGelu',
  /** Gradient of `FUSED_KERNELS.biasGelu`: `BiasGeluGradInputs`, no attributes. */
  biasGeluGrad: 'ProcptBiasGeluGrad',
  /** Output head fused with the masked cross-entropy: `MaskedCrossEntropyInputs`, `MaskedCrossEntropyAttrs`. */
  maskedCrossEntropy: 'ProcptMaskedCrossEntropy',
} as const;

/** The name of one of procpt's fused kernels (a value of {@link FUSED_KERNELS}). */
export type FusedKernelName = (typeof FUSED_KERNELS)[keyof typeof FUSED_KERNELS];

/**
 * Inputs of `ProcptFusedAttention`. `T` is the tensor type: `TensorInfo` inside a kernel, `tf.Tensor` at the call.
 *
 * Outputs, in this order: `y` float32 [B, T, d], the heads' outputs merged back (before `c_proj`), and a
 * saved state for the gradient kernel whose layout is the backend's own: procpt-native saves `probs` float32
 * [B, H, T, T], the causal softmax probabilities before dropout; the webgpu kernels save O and the rows'
 * log-sum-exps (flash-style, never [B, H, T, T]). Only the same backend's gradient kernel reads it.
 */
export interface FusedAttentionInputs<T = TensorInfo> {
  /**
   * float32 [B, T, 3d]: the `c_attn` output, q | k | v along the last axis; head h takes columns
   * h·d/H … (h+1)·d/H of each. Scores are q·kᵀ / √(d/H) with every key after the query masked out.
   */
  qkv: T;
}

/** Attributes of `ProcptFusedAttention` and `ProcptFusedAttentionGrad` (the same object for both). */
export interface FusedAttentionAttrs {
  /** Number of heads H; d = qkv's last dimension / 3 must be divisible by it. */
  nHead: number;
  /**
   * Dropout rate p in [0, 1) on the probabilities before ·V (kept with probability 1 − p, scaled by 1/(1 − p)).
   * Absent or 0: no dropout, and the model then passes no dropout attributes at all. The mask must be a
   * deterministic function of (`seed`, b, h, i, j) that the gradient kernel regenerates rather than stores; the
   * hash is the backend's own, so results are deterministic per backend, not across backends.
   */
  dropout?: number;
  /** Integer seed of the dropout mask (same seed, same mask on the same backend). Default 0. */
  seed?: number;
}

/** Inputs of `ProcptFusedAttentionGrad`. Output: `dqkv` float32 [B, T, 3d]. */
export interface FusedAttentionGradInputs<T = TensorInfo> {
  /** float32 [B, T, d]: gradient of the forward's `y`. */
  dy: T;
  /** The forward's input. */
  qkv: T;
  /** The forward's second output: the backend's saved state (procpt-native: `probs` before dropout). */
  probs: T;
}

/**
 * Inputs of `ProcptLayerNorm`: `y = (x − mean) / √(var + epsilon) · gamma + beta` over the last axis D, with the
 * biased variance (PyTorch/GPT-2).
 *
 * Outputs, in this order: `y` float32 with x's shape, `mean` float32 [rows] and `rstd` float32 [rows]
 * (1/√(var + epsilon)), rows = x's size / D; the last two are saved for the gradient kernel.
 */
export interface LayerNormInputs<T = TensorInfo> {
  /** float32 [..., D]. */
  x: T;
  /** float32 [D]. */
  gamma: T;
  /** float32 [D]. */
  beta: T;
}

/** Attributes of `ProcptLayerNorm`. */
export interface LayerNormAttrs {
  /** Added to the variance (GPT-2: 1e-5). */
  epsilon: number;
}

/**
 * Inputs of `ProcptLayerNormGrad` (no attributes). Outputs, in this order: `dx` with x's shape, `dgamma` [D] and
 * `dbeta` [D], all float32.
 */
export interface LayerNormGradInputs<T = TensorInfo> {
  /** float32, x's shape: gradient of the forward's `y`. */
  dy: T;
  /** The forward's `x`. */
  x: T;
  /** The forward's `gamma`. */
  gamma: T;
  /** The forward's `mean` output. */
  mean: T;
  /** The forward's `rstd` output. */
  rstd: T;
}

/**
 * Inputs of `ProcptBiasGelu` (no attributes). Output: float32 with x's shape, GELU with the tanh approximation
 * (GPT-2's `gelu_new`) of `x + bias`: `0.5·u·(1 + tanh(√(2/π)·(u + 0.044715·u³)))`.
 */
export interface BiasGeluInputs<T = TensorInfo> {
  /** float32 [..., F]. */
  x: T;
  /** float32 [F], broadcast along the last axis. */
  bias: T;
}

/** Inputs of `ProcptBiasGeluGrad` (no attributes). Outputs, in this order: `dx` with x's shape and `dbias` [F]. */
export interface BiasGeluGradInputs<T = TensorInfo> {
  /** float32, x's shape: gradient of the forward's output. */
  dy: T;
  /** The forward's `x`. */
  x: T;
  /** The forward's `bias`. */
  bias: T;
}

/**
 * Inputs of `ProcptMaskedCrossEntropy`: the output head fused with the weighted next-token cross-entropy, which
 * never needs the [N, V] logits in memory.
 *
 * Outputs, in this order: `lossSum` float32 [] = Σᵢ weightsᵢ · (logsumexp(hᵢ·Wᵀ) − hᵢ·W[targetsᵢ]);
 * `correct` float32 [] = Σᵢ weightsᵢ · [argmax(hᵢ·Wᵀ) = targetsᵢ] (the first maximum wins, as `tf.argMax`);
 * and, only with `withGrad`, `dh` float32 [N, d] and `dw` float32 [V, d], the gradients of `lossSum`.
 */
export interface MaskedCrossEntropyInputs<T = TensorInfo> {
  /** float32 [N, d]: final hidden states. */
  h: T;
  /** float32 [V, d]: the head weight (the token embedding when tied). */
  w: T;
  /** int32 [N]: target token ids. */
  targets: T;
  /** float32 [N]: per-row weights (0 = not scored). */
  weights: T;
}

/** Attributes of `ProcptMaskedCrossEntropy`. */
export interface MaskedCrossEntropyAttrs {
  /** Also compute and return `dh` and `dw`. */
  withGrad: boolean;
}

/**
 * The optimizer kernels a backend may register; the trainer's `AdamW` and `globalNormClip` run them when the
 * active backend has them (the webgpu backend does; procpt-native has in-place hooks instead).
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
