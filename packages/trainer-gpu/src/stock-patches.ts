// Patches for the stock tfjs backends (wasm, cpu, webgpu) where they cannot run procpt's model, or run it far too
// slowly; installed by selectBackend when it activates the backend. procpt's own backend (procpt-native) carries
// its kernels itself, and the fused kernels of every backend follow @procpt/model/kernel-spec.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

// Minimal structural view of the backends' kernel arguments (tfjs types them loosely).
interface KernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: KernelBackend & {
    write(values: Float32Array, shape: number[], dtype: 'float32'): object;
    disposeData(dataId: object, force?: boolean): boolean;
  };
  attrs?: NamedAttrMap;
}
type AnyKernel = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** Backends patched so far (each patch is installed once per process). */
const installed = new Set<string>();

/**
 * Makes the `wasm` backend train `@procpt/model`'s GPT fast and at all. `selectBackend` calls it when it
 * activates wasm; without it, call it once after importing `@tensorflow/tfjs-backend-wasm` and
 * selecting/initialising the backend (`await tf.setBackend('wasm')`). It registers:
 * - a JS `UnsortedSegmentSum` (the gradient of `tf.gather`, i.e. the token embedding), which
 *   tfjs-backend-wasm 4.22 lacks;
 * - a `BatchMatMul` wrapper that turns transposed 2-D matmuls (every matmul gradient) into an
 *   explicit `Transpose` + the untransposed XNNPACK path, instead of the naive scalar loop
 *   (measured 2.4× faster training steps).
 * Idempotent. Throws if the wasm kernels are not registered (backend package not imported).
 */
export function installWasmKernels(): void {
  if (installed.has('wasm')) return;
  const orig = tf.getKernel('BatchMatMul', 'wasm');
  if (!orig) {
    throw new Error("installWasmKernels: import '@tensorflow/tfjs-backend-wasm' before calling it");
  }
  registerSegmentSum('wasm');
  patchWasmBatchMatMul(orig.kernelFunc as unknown as AnyKernel);
  installed.add('wasm');
}

/**
 * Replaces the `cpu` backend's `UnsortedSegmentSum` (O(segments·N·D), seconds per step at small
 * vocabularies) with the same linear-time JS kernel. Optional (`selectBackend` calls it for cpu); idempotent.
 */
export function installCpuKernels(): void {
  if (installed.has('cpu')) return;
  if (!tf.getKernel('UnsortedSegmentSum', 'cpu')) {
    throw new Error("installCpuKernels: import '@tensorflow/tfjs-backend-cpu' before calling it");
  }
  registerSegmentSum('cpu');
  installed.add('cpu');
}

function registerSegmentSum(backendName: string): void {
  if (tf.getKernel('UnsortedSegmentSum', backendName)) tf.unregisterKernel('UnsortedSegmentSum', backendName);
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName,
    kernelFunc: ((args: KernelArgs) => {
      const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
      const numSegments = (args.attrs as { numSegments: number }).numSegments;
      const xv = args.backend.readSync(x.dataId) as Float32Array;
      const ids = args.backend.readSync(segmentIds.dataId) as Int32Array;
      const innerShape = x.shape.slice(segmentIds.shape.length);
      const inner = innerShape.reduce((a, b) => a * b, 1);
      const out = new Float32Array(numSegments * inner);
      for (let i = 0; i < ids.length; i++) {
        const s = ids[i]!;
        if (s < 0 || s >= numSegments) continue; // tf semantics: out-of-range ids are dropped
        const o = s * inner;
        const xi = i * inner;
        for (let j = 0; j < inner; j++) out[o + j]! += xv[xi + j]!;
      }
      const shape = [numSegments, ...innerShape];
      return { dataId: args.backend.write(out, shape, 'float32'), shape, dtype: 'float32' };
    }) as unknown as tf.KernelFunc,
  });
}

function patchWasmBatchMatMul(orig: AnyKernel): void {
  const transposeK = tf.getKernel('Transpose', 'wasm')!.kernelFunc as unknown as AnyKernel;
  const reshapeK = tf.getKernel('Reshape', 'wasm')!.kernelFunc as unknown as AnyKernel;
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    kernelFunc: ((args: KernelArgs) => {
      const { backend } = args;
      let { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      // Batched (attention) matmuls stay on the original kernel: per-batch XNNPACK measured slower.
      if (batchA !== 1 || batchB !== 1 || (!transposeA && !transposeB)) return orig(args);
      const temps: TensorInfo[] = [];
      const swapLast = (t: TensorInfo): TensorInfo => {
        const r = t.shape.length;
        const perm = [...Array(r).keys()];
        [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
        const out = transposeK({ inputs: { x: t }, backend, attrs: { perm } }) as TensorInfo;
        temps.push(out);
        return out;
      };
      if (transposeA) a = swapLast(a);
      if (transposeB) b = swapLast(b);
      const m = a.shape[a.shape.length - 2]!;
      const n = b.shape[b.shape.length - 1]!;
      const outShape = [...a.shape.slice(0, -2), m, n];
      const r = orig({
        inputs: { a, b },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }) as TensorInfo;
      let result = r;
      if (r.shape.length !== outShape.length || r.shape.some((d, i) => d !== outShape[i])) {
        // The wasm Reshape shares the dataId and increments its refcount: drop our reference to r.
        result = reshapeK({ inputs: { x: r }, backend, attrs: { shape: outShape } }) as TensorInfo;
        temps.push(r);
      }
      for (const t of temps) backend.disposeData(t.dataId);
      return result;
    }) as unknown as tf.KernelFunc,
  });
}

interface WebGpuKernelArgs {
  inputs: TensorInfo[];
  backend: {
    device: { limits: { maxStorageBuffersPerShaderStage: number } };
    disposeData(id: object): boolean;
  };
  attrs?: unknown;
}
type WebGpuKernel = (args: WebGpuKernelArgs) => TensorInfo;

/**
 * Patches tfjs-backend-webgpu 4.22 where it cannot run procpt's model. Its `AddN` binds every input
 * as a storage buffer in one shader, so more than `maxStorageBuffersPerShaderStage - 1` (7 at the
 * WebGPU default limit tfjs requests) fails pipeline validation and yields garbage: AdamW's global
 * gradient norm sums one square per parameter (29+ inputs). The replacement sums in groups that fit,
 * as tfjs's own `Concat` does. Idempotent; call after the webgpu backend is registered.
 */
export function installWebGpuKernels(): void {
  if (installed.has('webgpu')) return;
  const original = tf.getKernel('AddN', 'webgpu');
  if (!original) throw new Error("installWebGpuKernels: the 'webgpu' backend is not registered");
  const addN = original.kernelFunc as unknown as WebGpuKernel;
  const chunked: WebGpuKernel = (args) => {
    const group = Math.max(2, args.backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    let inputs = args.inputs;
    const temporaries: TensorInfo[] = [];
    while (inputs.length > group) {
      const partial: TensorInfo[] = [];
      for (let i = 0; i < inputs.length; i += group) {
        const slice = inputs.slice(i, i + group);
        if (slice.length === 1) partial.push(slice[0]!);
        else {
          const sum = addN({ ...args, inputs: slice });
          temporaries.push(sum);
          partial.push(sum);
        }
      }
      inputs = partial;
    }
    const result = addN({ ...args, inputs });
    for (const t of temporaries) args.backend.disposeData(t.dataId);
    return result;
  };
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    kernelName: 'AddN',
    backendName: 'webgpu',
    kernelFunc: chunked as unknown as tf.KernelFunc,
  });
  installed.add('webgpu');
}
