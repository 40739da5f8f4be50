import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon } from './addon.js';
import { NATIVE_BACKEND } from './kernel-util.js';

/** Hyperparameters of one {@link adamwUpdate} (PyTorch `AdamW` semantics). */
export interface AdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay λ: `p ← p·(1 − lr·λ)` before the Adam step. */
  weightDecay: number;
  /** 1-based update count, for the bias corrections 1 − βᵗ. */
  step: number;
  /**
   * Factor applied to the gradient before the moments (e.g. the `clip_grad_norm_` factor); default 1. The scaled
   * gradient is rounded to float32, exactly as a separate float32 multiply would, but no scaled copy is made.
   */
  gradScale?: number;
}

/** The Float32Array backing `t` on the CPU-family backend (read in place, never marked as read out), or null. */
function storedValues(backend: MathBackendCPU, t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const data = backend.data.get(t.dataId) as { values?: unknown } | undefined;
  return data?.values instanceof Float32Array && data.values.length === t.size ? data.values : null;
}

/** The variable's own Float32Array when it may be written in place (sole owner of its data), else null. */
function ownedValues(backend: MathBackendCPU, t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const data = backend.data.get(t.dataId) as { values?: unknown; refCount?: number } | undefined;
  if (!data || !(data.values instanceof Float32Array) || data.values.length !== t.size) return null;
  return (data.refCount ?? 1) === 1 ? data.values : null;
}

/**
 * Like {@link ownedValues}, but when the variable shares its storage (e.g. two variables made from one tensor, or a
 * value `assign`ed from a tensor still alive elsewhere) it first gets a private copy, so the native in-place pass
 * always runs on procpt-native and results never depend on who else holds the data.
 */
function ownedVariableValues(backend: MathBackendCPU, v: tf.Variable): Float32Array | null {
  const own = ownedValues(backend, v);
  if (own || v.dtype !== 'float32') return own;
  const copy = tf.tensor(Float32Array.from(v.dataSync()), v.shape, 'float32');
  v.assign(copy);
  copy.dispose(); // the variable holds the only reference now
  return ownedValues(backend, v);
}

/**
 * One AdamW update of `param` with gradient `grad` and moment variables `m`, `v` (same shape, float32),
 * following `torch.optim.AdamW`: `p ← p·(1 − lr·λ)`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
 * `p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`, with `g` the gradient times `hp.gradScale`. On `procpt-native` it
 * runs as one multithreaded native pass that updates the three variables' storage in place (no new tensors, no
 * scaled gradient copy; a variable sharing its storage gets a private copy first); elsewhere it uses tfjs ops and
 * `assign`.
 */
export function adamwUpdate(
  param: tf.Variable,
  rawGrad: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  hp: AdamWStep,
): void {
  for (const [name, t] of [
    ['grad', rawGrad],
    ['m', m],
    ['v', v],
  ] as const) {
    if (t.shape.join() !== param.shape.join()) {
      throw new ProcptError(
        'usage',
        `adamwUpdate: ${name} has shape [${t.shape}] but the parameter ${param.name} has [${param.shape}]`,
      );
    }
  }
  if (!Number.isInteger(hp.step) || hp.step < 1)
    throw new ProcptError('usage', `adamwUpdate: step must be an integer >= 1, got ${hp.step}`);
  const gradScale = hp.gradScale ?? 1;
  const bc1 = 1 - hp.beta1 ** hp.step;
  const bc2 = 1 - hp.beta2 ** hp.step;
  const addon = loadAddon().addon;
  if (addon && tf.getBackend() === NATIVE_BACKEND) {
    const backend = tf.backend() as MathBackendCPU;
    const p = ownedVariableValues(backend, param);
    const mv = ownedVariableValues(backend, m);
    const vv = ownedVariableValues(backend, v);
    const g = storedValues(backend, rawGrad);
    if (p && mv && vv && g && g.length === p.length) {
      addon.adamw(
        p,
        g,
        mv,
        vv,
        p.length,
        hp.lr,
        hp.beta1,
        hp.beta2,
        hp.eps,
        hp.weightDecay,
        bc1,
        bc2,
        gradScale,
      );
      return;
    }
  }
  tf.tidy(() => {
    const grad = gradScale === 1 ? rawGrad : tf.mul(rawGrad, gradScale);
    const decayed = hp.weightDecay === 0 ? param : tf.mul(param, 1 - hp.lr * hp.weightDecay);
    const m1 = tf.add(tf.mul(m, hp.beta1), tf.mul(grad, 1 - hp.beta1));
    const v1 = tf.add(tf.mul(v, hp.beta2), tf.mul(tf.square(grad), 1 - hp.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), hp.eps);
    m.assign(m1);
    v.assign(v1);
    param.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), hp.lr / bc1)));
  });
}

/**
 * Global L2 norm `√(Σ g²)` over every element of `tensors`: the total norm of PyTorch's `clip_grad_norm_`,
 * accumulated in float64 and returned as a JS number. On `procpt-native` it is one multithreaded native pass over the
 * tensors' own storage: no tfjs tensor is created and no value is copied. Elsewhere the values are read back with
 * `dataSync` (backends without synchronous readback, such as webgpu in Node, cannot use it). NaN or ±Infinity in any
 * gradient gives a NaN or Infinity norm, as in PyTorch.
 */
export function globalGradNorm(tensors: readonly tf.Tensor[]): number {
  const native = tf.getBackend() === NATIVE_BACKEND ? (tf.backend() as MathBackendCPU) : null;
  const arrays: Float32Array[] = [];
  for (const t of tensors) {
    if (t.dtype !== 'float32')
      throw new ProcptError(
        'usage',
        `globalGradNorm: gradients must be float32, got ${t.dtype} [${t.shape}]`,
      );
    // in place on procpt-native: dataSync would mark the storage as read out and keep it from the output pool
    arrays.push((native && storedValues(native, t)) ?? (t.dataSync() as Float32Array));
  }
  const addon = loadAddon().addon;
  return Math.sqrt(addon ? addon.sumSquares(arrays) : sumSquaresJs(arrays));
}

/** Σ x² in float64 without the addon (same accumulation as the native pass, in one thread). */
function sumSquaresJs(arrays: readonly Float32Array[]): number {
  let sum = 0;
  for (const a of arrays) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
    sum += s;
  }
  return sum;
}
