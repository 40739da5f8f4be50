// How the fused ops call a custom kernel (names and signatures in kernel-spec.ts) when the backend has one.
import * as tf from '@tensorflow/tfjs-core';
import type { FusedKernelName } from './kernel-spec.js';

/** True when the active backend registers fused kernel `name` (one of `FUSED_KERNELS`' values). */
export function hasFusedKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Whether gradients are being recorded right now (tfjs keeps this internal). */
export function tapeOn(): boolean {
  const engine = tf.engine() as unknown as { isTapeOn?: () => boolean };
  return engine.isTapeOn?.() ?? true;
}

/**
 * Runs fused kernel `name` on the active backend; always returns its outputs as a list. Inputs and attributes are
 * checked against the spec's types by the callers (`satisfies`); tfjs' own maps cannot express them.
 */
export function runFusedKernel(name: FusedKernelName, inputs: object, attrs: object = {}): tf.Tensor[] {
  const r = tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as tf.NamedAttrMap);
  return Array.isArray(r) ? (r as tf.Tensor[]) : [r as tf.Tensor];
}

/** Forward of a fused op: returns the value and the gradient function (one gradient per input). */
type FusedForward = (
  inputs: tf.Tensor[],
  save: tf.GradSaveFunc,
) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

/** `tf.customGrad` over `n` tensor inputs with a typed forward (tfjs' own typing cannot express it). */
export function withGradient(n: number, f: FusedForward): (...xs: tf.Tensor[]) => tf.Tensor {
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
