import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { allocF32 } from './pool.js';
import { f32, i32, output, overrideKernel, sizeOf } from './kernel-util.js';

const BINARY_OPS: Record<string, number> = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
};
const UNARY_OPS: Record<string, number> = {
  Exp: 0,
  Tanh: 1,
  Neg: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
  Relu: 6,
  Log: 7,
  Abs: 8,
  Reciprocal: 9,
  Sigmoid: 10,
};

/** Broadcast shape of two shapes (numpy rules), or null when incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Strides of `shape` read along `out` (0 on broadcast axes), with size-1 axes dropped and adjacent axes that
 * are contiguous for both inputs merged, so the native loop sees the longest possible inner runs.
 */
export function collapseBroadcast(
  out: readonly number[],
  a: readonly number[],
  b: readonly number[],
): { shape: Int32Array; sa: Int32Array; sb: Int32Array } {
  const strides = (s: readonly number[]): number[] => {
    const r: number[] = new Array(out.length).fill(0);
    let st = 1;
    for (let i = out.length - 1; i >= 0; i--) {
      const dim = s[s.length - out.length + i] ?? 1;
      r[i] = dim === 1 ? 0 : st;
      st *= dim;
    }
    return r;
  };
  const sa0 = strides(a);
  const sb0 = strides(b);
  const shape: number[] = [];
  const sa: number[] = [];
  const sb: number[] = [];
  for (let i = 0; i < out.length; i++) {
    const n = out[i]!;
    if (n === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && sa[last] === sa0[i]! * n && sb[last] === sb0[i]! * n) {
      shape[last] = shape[last]! * n;
      sa[last] = sa0[i]!;
      sb[last] = sb0[i]!;
    } else {
      shape.push(n);
      sa.push(sa0[i]!);
      sb.push(sb0[i]!);
    }
  }
  if (shape.length === 0) {
    shape.push(1);
    sa.push(0);
    sb.push(0);
  }
  return { shape: Int32Array.from(shape), sa: Int32Array.from(sa), sb: Int32Array.from(sb) };
}

function normAxes(axis: number | number[] | undefined, rank: number): number[] {
  const list =
    axis === undefined || axis === null ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
}

function reduce(
  addon: NativeAddon,
  backend: MathBackendCPU,
  x: TensorInfo,
  axis: number | number[] | undefined,
  keepDims: boolean,
  op: number,
): TensorInfo | null {
  const xs = f32(backend, x);
  if (!xs) return null;
  const rank = x.shape.length;
  const axes = normAxes(axis, rank);
  const outShape = keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  const leading = axes.every((a, i) => a === i);
  const inner = sizeOf(x.shape.slice(rank - axes.length));
  if (axes.length === 0) return null;
  if (trailing) {
    const rows = sizeOf(x.shape) / Math.max(inner, 1);
    const out = allocF32(rows);
    if (inner > 0) addon.reduceRows(op, out, xs, rows, inner);
    return output(backend, outShape, out);
  }
  if (leading && op === 0) {
    const rows = sizeOf(x.shape.slice(0, axes.length));
    const cols = sizeOf(x.shape) / Math.max(rows, 1);
    const out = allocF32(cols);
    addon.sumCols(out, xs, rows, cols);
    return output(backend, outShape, out);
  }
  return null;
}

/** Overrides the hot general-purpose kernels of the native backend with the addon's implementations. */
export function registerBasicKernels(addon: NativeAddon): void {
  for (const [name, op] of Object.entries(BINARY_OPS)) {
    overrideKernel(name, ({ inputs, backend }) => {
      const a = inputs.a!;
      const b = inputs.b!;
      const av = f32(backend, a);
      const bv = f32(backend, b);
      if (!av || !bv) return null;
      const outShape = broadcastShape(a.shape, b.shape);
      if (!outShape) return null;
      const { shape, sa, sb } = collapseBroadcast(outShape, a.shape, b.shape);
      const out = allocF32(sizeOf(outShape), true);
      if (out.length > 0) addon.binary(op, out, av, bv, shape, sa, sb, shape.length);
      return output(backend, outShape, out);
    });
  }
  for (const [name, op] of Object.entries(UNARY_OPS)) {
    overrideKernel(name, ({ inputs, backend }) => {
      const x = inputs.x!;
      const xv = f32(backend, x);
      if (!xv) return null;
      const out = allocF32(xv.length, true);
      addon.unary(op, out, xv, xv.length, 0);
      return output(backend, x.shape.slice(), out);
    });
  }
  overrideKernel('Softmax', ({ inputs, backend, attrs }) => {
    const x = inputs.logits!;
    const xv = f32(backend, x);
    const dim = attrs.dim as number;
    const rank = x.shape.length;
    if (!xv || rank === 0 || (dim !== -1 && dim !== rank - 1)) return null;
    const cols = x.shape[rank - 1]!;
    const out = allocF32(xv.length, cols > 0);
    if (cols > 0) addon.softmax(out, xv, xv.length / cols, cols);
    return output(backend, x.shape.slice(), out);
  });
  overrideKernel('Sum', ({ inputs, backend, attrs }) =>
    reduce(addon, backend, inputs.x!, attrs.axis as number | number[], attrs.keepDims as boolean, 0),
  );
  overrideKernel('Mean', ({ inputs, backend, attrs }) =>
    reduce(addon, backend, inputs.x!, attrs.axis as number | number[], attrs.keepDims as boolean, 3),
  );
  overrideKernel('Max', ({ inputs, backend, attrs }) =>
    reduce(
      addon,
      backend,
      inputs.x!,
      attrs.reductionIndices as number | number[],
      attrs.keepDims as boolean,
      1,
    ),
  );
  overrideKernel('Min', ({ inputs, backend, attrs }) =>
    reduce(addon, backend, inputs.x!, attrs.axis as number | number[], attrs.keepDims as boolean, 2),
  );
  overrideKernel('Transpose', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const xv = f32(backend, x);
    const perm = attrs.perm as number[];
    if (!xv || perm.length === 0 || perm.length > 8) return null;
    const outShape = perm.map((p) => x.shape[p]!);
    const out = allocF32(xv.length, true);
    if (out.length > 0)
      addon.transpose(out, xv, Int32Array.from(x.shape), Int32Array.from(perm), perm.length);
    return output(backend, outShape, out);
  });
  overrideKernel('GatherV2', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const idx = inputs.indices!;
    const xv = f32(backend, x);
    const iv = i32(backend, idx);
    const axis = attrs.axis as number;
    if (!xv || !iv || (axis !== 0 && axis !== -x.shape.length) || ((attrs.batchDims as number) ?? 0) !== 0)
      return null;
    const rows = x.shape[0]!;
    const cols = sizeOf(x.shape.slice(1));
    const out = allocF32(iv.length * cols);
    addon.gatherRows(out, xv, iv, iv.length, rows, cols);
    return output(backend, [...idx.shape, ...x.shape.slice(1)], out);
  });
  overrideKernel('UnsortedSegmentSum', ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const ids = inputs.segmentIds!;
    const xv = f32(backend, x);
    const iv = i32(backend, ids);
    if (!xv || !iv || ids.shape.length !== 1 || ids.shape[0] !== x.shape[0]) return null;
    const numSegments = attrs.numSegments as number;
    const cols = sizeOf(x.shape.slice(1));
    const out = allocF32(numSegments * cols);
    addon.segmentSumRows(out, xv, iv, iv.length, numSegments, cols);
    return output(backend, [numSegments, ...x.shape.slice(1)], out);
  });
}
