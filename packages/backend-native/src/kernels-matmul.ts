import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { allocF32 } from './pool.js';
import { broadcastShape, collapseBroadcast } from './kernels-basic.js';
import { f32, output, overrideKernel, sizeOf } from './kernel-util.js';

/** Native (batched, any-transpose) matmul of two float32 tensors, or null when the shapes need the cpu path. */
function matmul(
  addon: NativeAddon,
  backend: MathBackendCPU,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo | null {
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (!av || !bv || ra < 2 || rb < 2) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const k2 = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== k2) return null; // let the cpu kernel raise its own shape error
  const batchShapeA = a.shape.slice(0, -2);
  const batchShapeB = b.shape.slice(0, -2);
  const batchA = sizeOf(batchShapeA);
  const batchB = sizeOf(batchShapeB);
  const batchShape = broadcastShape(batchShapeA, batchShapeB);
  if (!batchShape) return null;
  const batch = sizeOf(batchShape);
  // Supported: equal batch sizes (same layout) or one side broadcast as a whole.
  if (
    !(
      (batchA === batch && batchB === batch) ||
      (batchA === 1 && batchB === batch) ||
      (batchB === 1 && batchA === batch)
    )
  ) {
    return null;
  }
  if (batchA === batch && batchB === batch && batch > 1 && batchShapeA.join() !== batchShapeB.join())
    return null;
  const out = allocF32(batch * m * n, k > 0); // sgemm overwrites C unless K = 0
  if (out.length > 0) {
    addon.matmul(
      av,
      bv,
      out,
      batch,
      m,
      n,
      k,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      batchA === 1 ? 0 : m * k,
      batchB === 1 ? 0 : k * n,
    );
  }
  return output(backend, [...batchShape, m, n], out);
}

/** Overrides BatchMatMul and _FusedMatMul (bias + linear/relu/sigmoid) of the native backend. */
export function registerMatmulKernels(addon: NativeAddon): void {
  overrideKernel('BatchMatMul', ({ inputs, backend, attrs }) =>
    matmul(addon, backend, inputs.a!, inputs.b!, attrs.transposeA as boolean, attrs.transposeB as boolean),
  );
  overrideKernel('_FusedMatMul', ({ inputs, backend, attrs }) => {
    const activation = (attrs.activation as string | undefined) ?? 'linear';
    if (!['linear', 'relu', 'sigmoid'].includes(activation) || inputs.preluActivationWeights) return null;
    const bias = inputs.bias;
    const biasValues = bias ? f32(backend, bias) : null;
    if (bias && !biasValues) return null;
    const r = matmul(
      addon,
      backend,
      inputs.a!,
      inputs.b!,
      attrs.transposeA as boolean,
      attrs.transposeB as boolean,
    );
    if (!r) return null;
    const values = f32(backend, r)!;
    if (bias && biasValues) {
      const outShape = broadcastShape(r.shape, bias.shape);
      if (!outShape || outShape.join() !== r.shape.join()) {
        backend.disposeData(r.dataId);
        return null;
      }
      const { shape, sa, sb } = collapseBroadcast(outShape, r.shape, bias.shape);
      addon.binary(0, values, values, biasValues, shape, sa, sb, shape.length); // in place: r is ours
    }
    if (activation === 'relu') addon.unary(6, values, values, values.length, 0);
    if (activation === 'sigmoid') addon.unary(10, values, values, values.length, 0);
    return r;
  });
}
