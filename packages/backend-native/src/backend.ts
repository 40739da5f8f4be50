import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type AddonSource, loadAddon } from './addon.js';
import { NATIVE_BACKEND } from './kernel-util.js';
import { registerBasicKernels } from './kernels-basic.js';
import { registerCopyKernels } from './kernels-copy.js';
import { registerFusedKernels } from './kernels-fused.js';
import { registerMatmulKernels } from './kernels-matmul.js';
import { pool } from './pool.js';

type DataId = Parameters<MathBackendCPU['readSync']>[0];

/**
 * The cpu backend's storage with output-array reuse: tensor data that refers to a pooled array is counted, and the
 * array goes back to the pool when the last such data is deleted, unless its values were read out (see pool.ts).
 */
class PooledCpuBackend extends MathBackendCPU {
  override write(
    values: Parameters<MathBackendCPU['write']>[0],
    shape: number[],
    dtype: tf.DataType,
  ): DataId {
    const id = super.write(values, shape, dtype);
    pool.attach(values);
    return id;
  }
  override move(
    dataId: DataId,
    values: Parameters<MathBackendCPU['move']>[1],
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    super.move(dataId, values, shape, dtype, refCount);
    pool.attach(values);
  }
  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    pool.escape(this.data.get(dataId)?.values);
    pool.escape(values);
    return values;
  }
  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const done = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) pool.detach(values);
    return done;
  }
}

/** Result of {@link registerNativeBackend}. */
export interface NativeBackendStatus {
  /** True when the addon loaded and the `procpt-native` backend is registered. */
  available: boolean;
  /** Why the backend is unavailable (absent when available). */
  reason?: string;
}

/** What the loaded addon reports about itself (see {@link nativeBackendInfo}). */
export interface NativeBackendInfo extends NativeBackendStatus {
  /** Backend name to pass to `tf.setBackend`. */
  name: typeof NATIVE_BACKEND;
  /** Worker threads of the native kernels (OpenMP). */
  threads?: number;
  /** Whether the kernels in use have AVX2/FMA (the `avx2` and `avx512` tiers). */
  avx2?: boolean;
  /** CPU tier the kernels dispatched to: `avx512`, `avx2` or `base` (the baseline of the architecture). */
  isa?: string;
  /** What that tier is, e.g. `AVX-512 (x86-64-v4)`, `AVX2/FMA (x86-64-v3)`, `baseline x86-64 (SSE2)`. */
  isaLabel?: string;
  /** Every tier the binary has and this CPU runs, best first (`PROCPT_NATIVE_ISA` picks another). */
  isas?: string[];
  /** Which binary loaded: `prebuilt` (shipped in prebuilds/ for this platform) or `local` (built from source). */
  source?: AddonSource;
  /** That binary in words: `prebuilt linux-x64` or `local build`. */
  binary?: string;
  /** Path of the loaded `.node` file. */
  path?: string;
  /** Why the candidates before it (or all of them, when unavailable) were not used. */
  skipped?: string[];
}

let status: NativeBackendStatus | undefined;

/**
 * Registers the `procpt-native` tfjs backend: the pure-JS `cpu` backend's storage and every one of its kernels,
 * with the hot ones (matmuls, elementwise math, softmax, reductions, transpose, gather/segment-sum) and the
 * fused transformer kernels replaced by the native addon's multithreaded SIMD code. Never throws: when the addon
 * is missing or broken it returns `{available: false, reason}` and registers nothing. Idempotent. The backend has
 * priority 0, so it is used only after `await tf.setBackend('procpt-native')`. Threads: all cores, or
 * `PROCPT_NATIVE_THREADS` when set.
 */
export function registerNativeBackend(): NativeBackendStatus {
  if (status) return status;
  const load = loadAddon();
  if (!load.addon) {
    status = { available: false, reason: load.reason };
    return status;
  }
  if (!tf.findBackendFactory(NATIVE_BACKEND))
    tf.registerBackend(NATIVE_BACKEND, () => new PooledCpuBackend(), 0);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (tf.getKernel(kernel.kernelName, NATIVE_BACKEND)) continue;
    tf.registerKernel({ ...kernel, backendName: NATIVE_BACKEND });
  }
  const threads = Number(process.env.PROCPT_NATIVE_THREADS);
  if (Number.isInteger(threads) && threads > 0) load.addon.setThreads(threads);
  registerMatmulKernels(load.addon);
  registerBasicKernels(load.addon);
  registerCopyKernels(load.addon);
  registerFusedKernels(load.addon);
  status = { available: true };
  return status;
}

/** Availability, thread count and SIMD level of the native backend (loads the addon if needed). */
export function nativeBackendInfo(): NativeBackendInfo {
  const load = loadAddon();
  if (!load.addon)
    return { name: NATIVE_BACKEND, available: false, reason: load.reason, skipped: load.skipped };
  const info = load.addon.info();
  return {
    name: NATIVE_BACKEND,
    available: true,
    threads: info.threads,
    avx2: info.avx2,
    isa: info.isa ?? (info.avx2 ? 'avx2' : 'base'),
    isaLabel: info.isaLabel ?? (info.avx2 ? 'AVX2/FMA' : 'baseline'),
    isas: info.isas ?? [],
    source: load.source,
    binary: load.label,
    path: load.path,
    skipped: load.skipped,
  };
}

/** Sets the number of native worker threads (default: all cores). */
export function setNativeThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`setNativeThreads: expected a positive integer, got ${n}`);
  loadAddon().addon?.setThreads(n);
}
