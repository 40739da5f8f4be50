import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** Name under which the native backend is registered with tfjs. */
export const NATIVE_BACKEND = 'procpt-native';

/** Arguments every tfjs kernel receives (typed for the cpu-derived native backend). */
export interface NativeKernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: MathBackendCPU;
  attrs: NamedAttrMap;
}

/** A native kernel body: returns null to hand the call to the `cpu` kernel of the same name. */
export type NativeKernel = (args: NativeKernelArgs) => TensorInfo | TensorInfo[] | null;

/**
 * The values of a float32 tensor of the cpu-derived backend as a Float32Array: its own storage (zero-copy), or
 * a converted copy when the cpu backend kept another array type under a float32 dtype (its int32→float32 `Cast`
 * only relabels the data). Null for other dtypes. Read-only use only.
 */
export function f32(backend: MathBackendCPU, t: TensorInfo | undefined): Float32Array | null {
  if (t?.dtype !== 'float32') return null;
  const values = backend.data.get(t.dataId)?.values;
  if (values instanceof Float32Array) return values.length === sizeOf(t.shape) ? values : null;
  if (values instanceof Int32Array || values instanceof Uint8Array) {
    return values.length === sizeOf(t.shape) ? Float32Array.from(values) : null;
  }
  return null;
}

/** The Int32Array backing an int32 tensor, or null. */
export function i32(backend: MathBackendCPU, t: TensorInfo | undefined): Int32Array | null {
  if (t?.dtype !== 'int32') return null;
  const values = backend.data.get(t.dataId)?.values;
  return values instanceof Int32Array ? values : null;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Wraps a freshly computed Float32Array as a tensor of the backend. */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/**
 * Registers `body` as kernel `name` of the native backend; when the body returns null (an unsupported dtype
 * or shape) the cpu backend's kernel of the same name runs instead.
 */
export function overrideKernel(name: string, body: NativeKernel): void {
  const base = tf.getKernel(name, 'cpu');
  const fallback = base?.kernelFunc;
  if (tf.getKernel(name, NATIVE_BACKEND)) tf.unregisterKernel(name, NATIVE_BACKEND);
  const kernelFunc = ((args: NativeKernelArgs) => {
    const r = body(args);
    if (r !== null) return r;
    if (!fallback) throw new Error(`procpt-native: kernel ${name} has no fallback for these inputs`);
    return fallback(args as unknown as Parameters<KernelFunc>[0]);
  }) as unknown as KernelFunc;
  const config: KernelConfig = { kernelName: name, backendName: NATIVE_BACKEND, kernelFunc };
  tf.registerKernel(config);
}
