import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { allocF32 } from './pool.js';
import { f32, i32, output, overrideKernel, sizeOf } from './kernel-util.js';

/**
 * The 32-bit storage of a float32 or int32 tensor as a Float32Array (an int32 tensor's bits are viewed, not
 * converted: these kernels only move 4-byte words), or null for other dtypes.
 */
function words(backend: MathBackendCPU, t: TensorInfo): Float32Array | null {
  if (t.dtype === 'int32') {
    const v = i32(backend, t);
    return v && v.length === sizeOf(t.shape) ? new Float32Array(v.buffer, v.byteOffset, v.length) : null;
  }
  return f32(backend, t);
}

/** A new tensor of `dtype` whose 4-byte words are written through the returned Float32Array view. */
function alloc(
  backend: MathBackendCPU,
  shape: number[],
  dtype: 'float32' | 'int32',
): [Float32Array, () => TensorInfo] {
  const n = sizeOf(shape);
  if (dtype === 'int32') {
    const ints = new Int32Array(n);
    return [new Float32Array(ints.buffer), () => backend.makeTensorInfo(shape, 'int32', ints)];
  }
  const floats = allocF32(n);
  return [floats, () => output(backend, shape, floats)];
}

/** Native slice of a float32/int32 tensor (begin/size already resolved), or null. */
function slice(
  addon: NativeAddon,
  backend: MathBackendCPU,
  x: TensorInfo,
  begin: number[],
  size: number[],
): TensorInfo | null {
  const xv = words(backend, x);
  const rank = x.shape.length;
  if (!xv || rank === 0 || rank > 8 || begin.length !== rank || size.length !== rank) return null;
  const [out, make] = alloc(backend, size.slice(), x.dtype as 'float32' | 'int32');
  if (out.length > 0) {
    addon.copyBlock(
      out,
      Int32Array.from(size),
      new Int32Array(rank),
      xv,
      Int32Array.from(x.shape),
      Int32Array.from(begin),
      Int32Array.from(size),
      rank,
    );
  }
  return make();
}

/** Overrides Slice, SplitV, Concat (float32/int32) and PadV2 (float32) (strided block copies; the cpu versions walk element by element). */
export function registerCopyKernels(addon: NativeAddon): void {
  overrideKernel('Slice', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const rank = x.shape.length;
    const b = attrs.begin as number | number[];
    const s = attrs.size as number | number[];
    const begin = Array.isArray(b) ? b.slice() : Array.from({ length: rank }, (_, i) => (i === 0 ? b : 0));
    const size = (
      Array.isArray(s) ? s.slice() : Array.from({ length: rank }, (_, i) => (i === 0 ? s : -1))
    ).map((v, i) => (v === -1 ? x.shape[i]! - begin[i]! : v));
    return slice(addon, backend, x, begin, size);
  });
  overrideKernel('SplitV', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const rank = x.shape.length;
    const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number);
    const spec = attrs.numOrSizeSplits as number | number[];
    const dim = x.shape[axis]!;
    const sizes = Array.isArray(spec)
      ? spec.map((v) => (v === -1 ? dim - spec.reduce((a, c) => a + (c === -1 ? 0 : c), 0) : v))
      : Array(spec).fill(dim / spec);
    if (!words(backend, x)) return null;
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
  overrideKernel('PadV2', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const xv = words(backend, x);
    const paddings = attrs.paddings as Array<[number, number]>;
    const rank = x.shape.length;
    if (!xv || x.dtype !== 'float32' || rank === 0 || rank > 8 || paddings.length !== rank) return null;
    const outShape = x.shape.map((d, i) => paddings[i]![0] + d + paddings[i]![1]);
    const [out, make] = alloc(backend, outShape, 'float32');
    const fill = (attrs.constantValue as number) ?? 0;
    if (fill !== 0) out.fill(fill);
    if (sizeOf(x.shape) > 0) {
      addon.copyBlock(
        out,
        Int32Array.from(outShape),
        Int32Array.from(paddings.map((p) => p[0])),
        xv,
        Int32Array.from(x.shape),
        new Int32Array(rank),
        Int32Array.from(x.shape),
        rank,
      );
    }
    return make();
  });
  overrideKernel('Concat', ({ inputs, backend, attrs }) => {
    const xs = Object.keys(inputs)
      .map((k) => inputs[k]!)
      .filter((t) => sizeOf(t.shape) > 0);
    if (xs.length === 0) return null;
    const rank = xs[0]!.shape.length;
    const axis = (attrs.axis as number) < 0 ? (attrs.axis as number) + rank : (attrs.axis as number);
    const dtype = xs[0]!.dtype;
    const values = xs.map((t) => words(backend, t));
    if ((dtype !== 'float32' && dtype !== 'int32') || xs.some((t) => t.dtype !== dtype)) return null;
    if (rank === 0 || rank > 8 || values.some((v) => !v) || xs.some((t) => t.shape.length !== rank))
      return null;
    const outShape = xs[0]!.shape.slice();
    outShape[axis] = xs.reduce((a, t) => a + t.shape[axis]!, 0);
    const [out, make] = alloc(backend, outShape, dtype);
    const dstShape = Int32Array.from(outShape);
    let at = 0;
    xs.forEach((t, i) => {
      const begin = new Int32Array(rank);
      begin[axis] = at;
      addon.copyBlock(
        out,
        dstShape,
        begin,
        values[i]!,
        Int32Array.from(t.shape),
        new Int32Array(rank),
        Int32Array.from(t.shape),
        rank,
      );
      at += t.shape[axis]!;
    });
    return make();
  });
}
