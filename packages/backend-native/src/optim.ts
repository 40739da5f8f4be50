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
 * `p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`. On `procpt-native` it runs as one multithreaded native pass that
 * updates the three variables' storage in place (no new tensors; a variable sharing its storage gets a private copy
 * first); elsewhere it uses tfjs ops and `assign`.
 */
export function adamwUpdate(
  param: tf.Variable,
  grad: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  hp: AdamWStep,
): void {
  for (const [name, t] of [
    ['grad', grad],
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
  const bc1 = 1 - hp.beta1 ** hp.step;
  const bc2 = 1 - hp.beta2 ** hp.step;
  const addon = loadAddon().addon;
  if (addon && tf.getBackend() === NATIVE_BACKEND) {
    const backend = tf.backend() as MathBackendCPU;
    const p = ownedVariableValues(backend, param);
    const mv = ownedVariableValues(backend, m);
    const vv = ownedVariableValues(backend, v);
    const gData = backend.data.get(grad.dataId) as { values?: unknown } | undefined;
    const g = grad.dtype === 'float32' && gData?.values instanceof Float32Array ? gData.values : null;
    if (p && mv && vv && g && g.length === p.length) {
      addon.adamw(p, g, mv, vv, p.length, hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, bc1, bc2);
      return;
    }
  }
  tf.tidy(() => {
    const decayed = hp.weightDecay === 0 ? param : tf.mul(param, 1 - hp.lr * hp.weightDecay);
    const m1 = tf.add(tf.mul(m, hp.beta1), tf.mul(grad, 1 - hp.beta1));
    const v1 = tf.add(tf.mul(v, hp.beta2), tf.mul(tf.square(grad), 1 - hp.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v1), Math.sqrt(bc2)), hp.eps);
    m.assign(m1);
    v.assign(v1);
    param.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), hp.lr / bc1)));
  });
}
