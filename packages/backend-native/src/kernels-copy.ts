import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { f32, output, overrideKernel, sizeOf } from './kernel-util.js';

/** Native slice of a float32 tensor (begin/size already resolved), or null. */
function slice(addon: NativeAddon, backend: MathBackendCPU, x: TensorInfo, begin: number[], size: number[]): TensorInfo | null {
  const xv = f32(backend, x);
  const rank = x.shape.length;
  if (!xv || rank === 0 || rank > 8 || begin.length !== rank || size.length !== rank) return null;
  const out = new Float32Array(sizeOf(size));
  if (out.length > 0) {
    addon.copyBlock(out, Int32Array.from(size), new Int32Array(rank), xv, Int32Array.from(x.shape),
      Int32Array.from(begin), Int32Array.from(size), rank);
  }
  return output(backend, size.slice(), out);
}

/** Overrides Slice, SplitV and Concat (strided block copies; the cpu versions walk element by element). */
export function registerCopyKernels(addon: NativeAddon): void {
  overrideKernel('Slice', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const rank = x.shape.length;
    const b = attrs.begin as number | number[];
    const s = attrs.size as number | number[];
    const begin = Array.isArray(b) ? b.slice() : Array.from({ length: rank }, (_, i) => (i === 0 ? b : 0));
    const size = (Array.isArray(s) ? s.slice() : Array.from({ length: rank }, (_, i) => (i === 0 ? s : -1))).map(
      (v, i) => (v === -1 ? x.shape[i]! - begin[i]! : v),
    );
    return slice(addon, backend, x, begin, size);
  });
  overrideKernel('SplitV', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const rank = x.shape.length;
    const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number);
    const spec = attrs.numOrSizeSplits as number | number[];
    const dim = x.shape[axis]!;
    const sizes = Array.isArray(spec) ? spec.map((v) => (v === -1 ? dim - spec.reduce((a, c) => a + (c === -1 ? 0 : c), 0) : v)) : Array(spec).fill(dim / spec);
    if (!f32(backend, x)) return null;
    const outs: TensorInfo[] = [];
    let at = 0;
    for (const n of sizes) {
      const begin = x.shape.map((_, i) => (i === axis ? at : 0));
      const size = x.shape.map((d, i) => (i === axis ? n : d));
      outs.push(slice(addon, backend, x, begin, size)!);
      at += n;
    }
    return outs;
  });
  overrideKernel('Concat', ({ inputs, backend, attrs }) => {
    const xs = Object.keys(inputs).map((k) => inputs[k]!).filter((t) => sizeOf(t.shape) > 0);
    if (xs.length === 0) return null;
    const rank = xs[0]!.shape.length;
    const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number);
    const values = xs.map((t) => f32(backend, t));
    if (rank === 0 || rank > 8 || values.some((v) => !v) || xs.some((t) => t.shape.length !== rank)) return null;
    const outShape = xs[0]!.shape.slice();
    outShape[axis] = xs.reduce((a, t) => a + t.shape[axis]!, 0);
    const out = new Float32Array(sizeOf(outShape));
    const dstShape = Int32Array.from(outShape);
    let at = 0;
    xs.forEach((t, i) => {
      const begin = new Int32Array(rank);
      begin[axis] = at;
      addon.copyBlock(out, dstShape, begin, values[i]!, Int32Array.from(t.shape), new Int32Array(rank), Int32Array.from(t.shape), rank);
      at += t.shape[axis]!;
    });
    return output(backend, outShape, out);
  });
}
