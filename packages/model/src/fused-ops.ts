// The fused transformer ops. Each runs its custom kernel (kernel-spec.ts) when the active backend registers it, and
// otherwise the one standard-tfjs composition of the same maths below: one fallback per op.
import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { hasFusedKernel, runFusedKernel, tapeOn, withGradient } from './fused-kernel.js';
import {
  type BiasGeluGradInputs,
  type BiasGeluInputs,
  FUSED_KERNELS,
  type FusedAttentionAttrs,
  type FusedAttentionGradInputs,
  type FusedAttentionInputs,
  type LayerNormAttrs,
  type LayerNormGradInputs,
  type LayerNormInputs,
} from './kernel-spec.js';

/** Dropout on the attention probabilities of {@link fusedAttention}. */
export interface AttentionDropout {
  /** Drop rate in [0, 1); 0 (the default) is no dropout. */
  dropout?: number;
  /** Integer seed of the dropout mask (same seed, same mask on the same backend). Default 0. */
  seed?: number;
}

/**
 * Causal multi-head self-attention straight from the fused `c_attn` output: `qkv` is [B, T, 3d] (q | k | v along
 * the last axis, head h in columns h·d/H … (h+1)·d/H of each), the result is the heads' outputs merged back to
 * [B, T, d] (before `c_proj`). On a backend with the fused kernel (`procpt-native`) one kernel does QKᵀ·scale, the
 * causal mask, softmax and ·V (and one its backward); on any other backend the same maths runs as standard tfjs ops.
 *
 * With `options.dropout` p > 0 the probabilities are dropped (kept with probability 1 − p, scaled by 1/(1 − p))
 * before ·V. The fused kernel draws its mask from a stateless hash of (seed, b, h, i, j) and regenerates it in the
 * backward instead of storing it, so its masks differ from `tf.dropout`'s (used by the standard-ops path):
 * results are deterministic per backend, not across backends.
 */
export function fusedAttention(qkv: tf.Tensor3D, nHead: number, options: AttentionDropout = {}): tf.Tensor3D {
  if (qkv.rank !== 3 || qkv.shape[2] % (3 * nHead) !== 0 || !Number.isInteger(nHead) || nHead < 1) {
    throw new ProcptError(
      'usage',
      `fusedAttention: qkv must be [B, T, 3·d] with d divisible by nHead=${nHead}, got [${qkv.shape}]`,
    );
  }
  const dropout = options.dropout ?? 0;
  const seed = options.seed ?? 0;
  if (!(dropout >= 0 && dropout < 1) || !Number.isSafeInteger(seed)) {
    throw new ProcptError(
      'usage',
      `fusedAttention: dropout must be in [0, 1) and seed an integer, got dropout ${dropout}, seed ${seed}`,
    );
  }
  if (!hasFusedKernel(FUSED_KERNELS.attention)) return attentionComposite(qkv, nHead, dropout, seed);
  // rate 0 passes no dropout attrs: exactly the kernel call of the dropout-free path
  const attrs: FusedAttentionAttrs = dropout > 0 ? { nHead, dropout, seed } : { nHead };
  const forward = (x: tf.Tensor) =>
    runFusedKernel(FUSED_KERNELS.attention, { qkv: x } satisfies FusedAttentionInputs<tf.Tensor>, attrs);
  if (!tapeOn()) {
    const [y, probs] = forward(qkv);
    probs!.dispose();
    return y as tf.Tensor3D;
  }
  const f = withGradient(1, ([x], save) => {
    const [y, probs] = forward(x!);
    save([x!, probs!]);
    return {
      value: y!,
      gradFunc: (dy, [xs, ps]) =>
        runFusedKernel(
          FUSED_KERNELS.attentionGrad,
          { dy, qkv: xs!, probs: ps! } satisfies FusedAttentionGradInputs<tf.Tensor>,
          attrs,
        ),
    };
  });
  return f(qkv) as tf.Tensor3D;
}

const maskCache = new Map<number, Float32Array>();
/** Additive causal mask [T, T]: 0 on and below the diagonal, -1e9 above (exp underflows to exactly 0). */
function causalMask(t: number): tf.Tensor2D {
  let m = maskCache.get(t);
  if (!m) {
    m = new Float32Array(t * t);
    for (let i = 0; i < t; i++) m.fill(-1e9, i * t + i + 1, (i + 1) * t);
    if (maskCache.size > 8) maskCache.clear();
    maskCache.set(t, m);
  }
  return tf.tensor2d(m, [t, t]);
}

/** {@link fusedAttention} as standard tfjs ops; the dropout is `tf.dropout` seeded with `seed`. */
function attentionComposite(qkv: tf.Tensor3D, nHead: number, dropout: number, seed: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, t, d3] = qkv.shape;
    const d = d3 / 3;
    const dh = d / nHead;
    const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, nHead, dh]), [0, 2, 1, 3]);
    const [q, k, v] = tf.split(qkv, 3, 2).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), causalMask(t));
    const probs = tf.softmax(scores);
    const y = tf.matMul(dropout > 0 ? tf.dropout(probs, dropout, undefined, seed) : probs, v);
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, t, d]) as tf.Tensor3D;
  });
}

/**
 * LayerNorm over the last axis: `(x − mean) / sqrt(var + epsilon) · gamma + beta` (biased variance, as
 * PyTorch/GPT-2). Fused forward and backward kernels on `procpt-native`; standard ops elsewhere.
 */
export function layerNorm<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon = 1e-5,
): T {
  const dim = x.shape[x.rank - 1];
  if (x.rank < 1 || gamma.shape[0] !== dim || beta.shape[0] !== dim) {
    throw new ProcptError(
      'usage',
      `layerNorm: gamma/beta must be [${dim}] for x [${x.shape}], got [${gamma.shape}] / [${beta.shape}]`,
    );
  }
  if (!hasFusedKernel(FUSED_KERNELS.layerNorm)) {
    // (not tf.moments: its float32→float32 Cast breaks backprop when this runs in a tidy under variableGrads)
    return tf.tidy(() => {
      const xc = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.mul(xc, xc), -1, true);
      return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, epsilon))), gamma), beta) as T;
    });
  }
  const attrs: LayerNormAttrs = { epsilon };
  const forward = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    runFusedKernel(
      FUSED_KERNELS.layerNorm,
      { x: xi, gamma: g, beta: b } satisfies LayerNormInputs<tf.Tensor>,
      attrs,
    );
  if (!tapeOn()) {
    const [y, mean, rstd] = forward(x, gamma, beta);
    tf.dispose([mean!, rstd!]);
    return y as T;
  }
  const f = withGradient(3, ([xi, g, b], save) => {
    const [y, mean, rstd] = forward(xi!, g!, b!);
    save([xi!, g!, mean!, rstd!]);
    return {
      value: y!,
      gradFunc: (dy, [xs, gs, ms, rs]) =>
        runFusedKernel(FUSED_KERNELS.layerNormGrad, {
          dy,
          x: xs!,
          gamma: gs!,
          mean: ms!,
          rstd: rs!,
        } satisfies LayerNormGradInputs<tf.Tensor>),
    };
  });
  return f(x, gamma, beta) as T;
}

/** GELU (tanh approximation, GPT-2's `gelu_new`) of `x + bias`, bias broadcast along the last axis. */
export function biasGelu<T extends tf.Tensor>(x: T, bias: tf.Tensor1D): T {
  if (bias.shape[0] !== x.shape[x.rank - 1]) {
    throw new ProcptError(
      'usage',
      `biasGelu: bias must be [${x.shape[x.rank - 1]}] for x [${x.shape}], got [${bias.shape}]`,
    );
  }
  if (!hasFusedKernel(FUSED_KERNELS.biasGelu)) {
    return tf.tidy(() => {
      const u = tf.add(x, bias);
      // x³ as x·x·x (Pow is slow on wasm)
      const inner = tf.mul(tf.add(u, tf.mul(tf.mul(tf.mul(u, u), u), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(u, 0.5), tf.add(tf.tanh(inner), 1)) as T;
    });
  }
  const forward = (xi: tf.Tensor, b: tf.Tensor) =>
    runFusedKernel(FUSED_KERNELS.biasGelu, { x: xi, bias: b } satisfies BiasGeluInputs<tf.Tensor>)[0]!;
  if (!tapeOn()) return forward(x, bias) as T;
  const f = withGradient(2, ([xi, b], save) => {
    save([xi!, b!]);
    return {
      value: forward(xi!, b!),
      gradFunc: (dy, [xs, bs]) =>
        runFusedKernel(FUSED_KERNELS.biasGeluGrad, {
          dy,
          x: xs!,
          bias: bs!,
        } satisfies BiasGeluGradInputs<tf.Tensor>),
    };
  });
  return f(x, bias) as T;
}
