import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS } from './kernel-spec.js';

/** True when the active backend registers fused kernel `name` (one of {@link FUSED_KERNELS}' values). */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Whether gradients are being recorded right now (tfjs keeps this internal). */
function tapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return engine.isTapeOn?.() ?? true;
}

function run(name: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown> = {}): tf.Tensor[] {
  const r = tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap);
  return Array.isArray(r) ? (r as tf.Tensor[]) : [r as tf.Tensor];
}

/** Forward of a fused op: returns the value and the gradient function (one gradient per input). */
type FusedForward = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** `tf.customGrad` over `n` tensor inputs with a typed forward (tfjs' own typing cannot express it). */
function custom(n: number, f: FusedForward): (...xs: tf.Tensor[]) => tf.Tensor {
  const wrapped = (...args: unknown[]) => {
    const r = f(args.slice(0, n) as tf.Tensor[], args[n] as tf.GradSaveFunc);
    return {
      value: r.value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => r.gradFunc(dy as tf.Tensor, saved),
    };
  };
  return tf.customGrad(wrapped as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...xs: tf.Tensor[]
  ) => tf.Tensor;
}

function causalMask(t: number): tf.Tensor2D {
  return tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9) as tf.Tensor2D);
}

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
 * [B, T, d] (before `c_proj`). On a backend with the fused kernel (`procpt-native`) one kernel does QKᵀ·scale, the causal mask, softmax and ·V
 * (and one its backward); on any other backend the same maths runs as standard tfjs ops.
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
  const attrs = dropout > 0 ? { nHead, dropout, seed } : { nHead };
  if (!tapeOn()) {
    const [y, probs] = run(FUSED_KERNELS.attention, { qkv }, attrs);
    probs!.dispose();
    return y as tf.Tensor3D;
  }
  const f = custom(1, ([x], save) => {
    const [y, probs] = run(FUSED_KERNELS.attention, { qkv: x! }, attrs);
    save([x!, probs!]);
    return {
      value: y!,
      gradFunc: (dy, saved) =>
        run(FUSED_KERNELS.attentionGrad, { dy, qkv: saved[0]!, probs: saved[1]! }, attrs),
    };
  });
  return f(qkv) as tf.Tensor3D;
}

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
  if (!tapeOn()) {
    const [y, mean, rstd] = run(FUSED_KERNELS.layerNorm, { x, gamma, beta }, { epsilon });
    tf.dispose([mean!, rstd!]);
    return y as T;
  }
  const f = custom(3, ([xi, g, b], save) => {
    const [y, mean, rstd] = run(FUSED_KERNELS.layerNorm, { x: xi!, gamma: g!, beta: b! }, { epsilon });
    save([xi!, g!, mean!, rstd!]);
    return {
      value: y!,
      gradFunc: (dy, s) =>
        run(FUSED_KERNELS.layerNormGrad, { dy, x: s[0]!, gamma: s[1]!, mean: s[2]!, rstd: s[3]! }),
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
  if (!tapeOn()) return run(FUSED_KERNELS.biasGelu, { x, bias })[0] as T;
  const f = custom(2, ([xi, b], save) => {
    save([xi!, b!]);
    return {
      value: run(FUSED_KERNELS.biasGelu, { x: xi!, bias: b! })[0]!,
      gradFunc: (dy, s) => run(FUSED_KERNELS.biasGeluGrad, { dy, x: s[0]!, bias: s[1]! }),
    };
  });
  return f(x, bias) as T;
}

function checkCE(h: tf.Tensor2D, w: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): void {
  const n = h.shape[0];
  if (
    h.rank !== 2 ||
    w.rank !== 2 ||
    h.shape[1] !== w.shape[1] ||
    targets.shape[0] !== n ||
    weights.shape[0] !== n
  ) {
    throw new ProcptError(
      'usage',
      `maskedCrossEntropy: expected h [N, d], w [V, d], targets [N], weights [N]; got [${h.shape}], [${w.shape}], [${targets.shape}], [${weights.shape}]`,
    );
  }
  if (targets.dtype !== 'int32' || weights.dtype !== 'float32') {
    throw new ProcptError(
      'usage',
      `maskedCrossEntropy: targets must be int32 and weights float32, got ${targets.dtype} / ${weights.dtype}`,
    );
  }
}

/**
 * Σᵢ weightsᵢ · CE(hᵢ·Wᵀ, targetsᵢ): the weighted (masked) sum of next-token cross-entropies with the output
 * head fused in. Differentiable w.r.t. `h` and `w`. On `procpt-native` logits are formed chunk by chunk and the
 * gradients in the same pass, so [N, V] never exists; elsewhere it is the plain composite (logits, logSumExp).
 */
export function maskedCrossEntropy(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): tf.Scalar {
  checkCE(h, w, targets, weights);
  if (!hasFusedKernel(FUSED_KERNELS.maskedCrossEntropy)) {
    return tf.tidy(() => {
      const logits = tf.matMul(h, w, false, true);
      const targetLogit = tf.sum(tf.mul(h, tf.gather(w, targets)), 1);
      return tf.sum(tf.mul(tf.sub(tf.logSumExp(logits, 1), targetLogit), weights)) as tf.Scalar;
    });
  }
  if (!tapeOn()) {
    const [loss, correct] = run(
      FUSED_KERNELS.maskedCrossEntropy,
      { h, w, targets, weights },
      { withGrad: false },
    );
    correct!.dispose();
    return loss as tf.Scalar;
  }
  const f = custom(2, ([hi, wi], save) => {
    const [loss, correct, dh, dw] = run(
      FUSED_KERNELS.maskedCrossEntropy,
      { h: hi!, w: wi!, targets, weights },
      { withGrad: true },
    );
    correct!.dispose();
    save([dh!, dw!]);
    return {
      value: loss!,
      gradFunc: (dy, s) => [tf.mul(s[0]!, dy), tf.mul(s[1]!, dy)],
    };
  });
  return f(h, w) as tf.Scalar;
}

/**
 * Evaluation form of {@link maskedCrossEntropy}: the weighted loss sum and the weighted number of rows whose
 * argmax logit is the target (first maximum wins, as `tf.argMax`). No gradients.
 */
export function maskedCrossEntropyStats(
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): { lossSum: tf.Scalar; correct: tf.Scalar } {
  checkCE(h, w, targets, weights);
  if (!hasFusedKernel(FUSED_KERNELS.maskedCrossEntropy)) {
    return tf.tidy(() => {
      const logits = tf.matMul(h, w, false, true);
      const targetLogit = tf.sum(tf.mul(h, tf.gather(w, targets)), 1);
      const lossSum = tf.sum(tf.mul(tf.sub(tf.logSumExp(logits, 1), targetLogit), weights)) as tf.Scalar;
      const hit = tf.cast(tf.equal(tf.argMax(logits, 1), targets), 'float32');
      return { lossSum, correct: tf.sum(tf.mul(hit, weights)) as tf.Scalar };
    });
  }
  const [lossSum, correct] = run(
    FUSED_KERNELS.maskedCrossEntropy,
    { h, w, targets, weights },
    { withGrad: false },
  );
  return { lossSum: lossSum as tf.Scalar, correct: correct as tf.Scalar };
}
