import { FUSED_KERNELS } from '@procpt/model';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { allocF32 } from './pool.js';
import { f32, i32, output, overrideKernel, sizeOf } from './kernel-util.js';

function need<T>(v: T | null, what: string): T {
  if (v === null)
    throw new Error(`procpt-native: ${what} must be a float32/int32 tensor of the procpt-native backend`);
  return v;
}

/** The attention kernels' optional `dropout` rate (default 0: none) and integer `seed` attrs, checked. */
function dropoutAttrs(attrs: Record<string, unknown>): [number, number] {
  const rate = (attrs.dropout as number | undefined) ?? 0;
  const seed = (attrs.seed as number | undefined) ?? 0;
  if (!(rate >= 0 && rate < 1))
    throw new Error(`procpt-native: attention dropout must be in [0, 1), got ${rate}`);
  if (!Number.isSafeInteger(seed))
    throw new Error(`procpt-native: attention seed must be an integer, got ${seed}`);
  return [rate, seed];
}

/** Registers the fused forward/backward kernels with the addon as their implementation. */
export function registerFusedKernels(addon: NativeAddon): void {
  // qkv [B, T, 3d] -> [y [B, T, d], probs [B, H, T, T]] (probs before dropout: the backward regenerates the mask)
  overrideKernel(FUSED_KERNELS.attention, ({ inputs, backend, attrs }) => {
    const qkv = inputs.qkv!;
    const [b, t, d3] = qkv.shape as [number, number, number];
    const h = attrs.nHead as number;
    const d = d3 / 3;
    const [rate, seed] = dropoutAttrs(attrs);
    // every fused kernel below writes all of its outputs: no zero fill needed
    const y = allocF32(b * t * d, true);
    const probs = allocF32(b * h * t * t, true);
    addon.attentionForward(
      need(f32(backend, qkv), 'qkv'),
      y,
      probs,
      b,
      t,
      h,
      d / h,
      1 / Math.sqrt(d / h),
      rate,
      seed,
    );
    return [output(backend, [b, t, d], y), output(backend, [b, h, t, t], probs)];
  });
  overrideKernel(FUSED_KERNELS.attentionGrad, ({ inputs, backend, attrs }) => {
    const qkv = inputs.qkv!;
    const [b, t, d3] = qkv.shape as [number, number, number];
    const h = attrs.nHead as number;
    const d = d3 / 3;
    const [rate, seed] = dropoutAttrs(attrs);
    const dqkv = allocF32(b * t * d3, true);
    addon.attentionBackward(
      need(f32(backend, inputs.dy), 'dy'),
      need(f32(backend, qkv), 'qkv'),
      need(f32(backend, inputs.probs), 'probs'),
      dqkv,
      b,
      t,
      h,
      d / h,
      1 / Math.sqrt(d / h),
      rate,
      seed,
    );
    return output(backend, [b, t, d3], dqkv);
  });
  // x [..., D], gamma [D], beta [D] -> [y, mean [rows], rstd [rows]]
  overrideKernel(FUSED_KERNELS.layerNorm, ({ inputs, backend, attrs }) => {
    const x = inputs.x!;
    const dim = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / dim;
    const y = allocF32(rows * dim, true);
    const mean = allocF32(rows);
    const rstd = allocF32(rows);
    addon.layerNormForward(
      need(f32(backend, x), 'x'),
      need(f32(backend, inputs.gamma), 'gamma'),
      need(f32(backend, inputs.beta), 'beta'),
      y,
      mean,
      rstd,
      rows,
      dim,
      attrs.epsilon as number,
    );
    return [
      output(backend, x.shape.slice(), y),
      output(backend, [rows], mean),
      output(backend, [rows], rstd),
    ];
  });
  overrideKernel(FUSED_KERNELS.layerNormGrad, ({ inputs, backend }) => {
    const x = inputs.x!;
    const dim = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / dim;
    const dx = allocF32(rows * dim, true);
    const dg = allocF32(dim);
    const db = allocF32(dim);
    addon.layerNormBackward(
      need(f32(backend, inputs.dy), 'dy'),
      need(f32(backend, x), 'x'),
      need(f32(backend, inputs.gamma), 'gamma'),
      need(f32(backend, inputs.mean), 'mean'),
      need(f32(backend, inputs.rstd), 'rstd'),
      dx,
      dg,
      db,
      rows,
      dim,
    );
    return [output(backend, x.shape.slice(), dx), output(backend, [dim], dg), output(backend, [dim], db)];
  });
  // x [..., F], bias [F] -> gelu(x + bias)
  overrideKernel(FUSED_KERNELS.biasGelu, ({ inputs, backend }) => {
    const x = inputs.x!;
    const f = x.shape[x.shape.length - 1]!;
    const y = allocF32(sizeOf(x.shape), true);
    addon.biasGeluForward(
      need(f32(backend, x), 'x'),
      need(f32(backend, inputs.bias), 'bias'),
      y,
      y.length / f,
      f,
    );
    return output(backend, x.shape.slice(), y);
  });
  overrideKernel(FUSED_KERNELS.biasGeluGrad, ({ inputs, backend }) => {
    const x = inputs.x!;
    const f = x.shape[x.shape.length - 1]!;
    const dx = allocF32(sizeOf(x.shape), true);
    const db = allocF32(f);
    addon.biasGeluBackward(
      need(f32(backend, inputs.dy), 'dy'),
      need(f32(backend, x), 'x'),
      need(f32(backend, inputs.bias), 'bias'),
      dx,
      db,
      dx.length / f,
      f,
    );
    return [output(backend, x.shape.slice(), dx), output(backend, [f], db)];
  });
  // h [N, d], w [V, d], targets int32 [N], weights [N] -> [lossSum [], correct [], dh [N, d], dw [V, d]]
  overrideKernel(FUSED_KERNELS.maskedCrossEntropy, ({ inputs, backend, attrs }) => {
    const h = inputs.h!;
    const w = inputs.w!;
    const [n, d] = h.shape as [number, number];
    const v = w.shape[0]!;
    const withGrad = attrs.withGrad as boolean;
    const lc = new Float64Array(2);
    const dh = withGrad ? allocF32(n * d) : null;
    const dw = withGrad ? allocF32(v * d) : null;
    addon.maskedCrossEntropy(
      need(f32(backend, h), 'h'),
      need(f32(backend, w), 'w'),
      need(i32(backend, inputs.targets), 'targets'),
      need(f32(backend, inputs.weights), 'weights'),
      n,
      v,
      d,
      lc,
      dh,
      dw,
    );
    const outs: TensorInfo[] = [
      output(backend, [], Float32Array.of(lc[0]!)),
      output(backend, [], Float32Array.of(lc[1]!)),
    ];
    if (dh && dw) outs.push(output(backend, [n, d], dh), output(backend, [v, d], dw));
    return outs;
  });
}
