import {
  type BiasGeluGradInputs,
  type BiasGeluInputs,
  FUSED_KERNELS,
  type FusedAttentionAttrs,
  type FusedAttentionGradInputs,
  type FusedAttentionInputs,
  type LayerNormAttrs,
  type LayerNormGradInputs,
  type LayerNormInputs,
  type MaskedCrossEntropyAttrs,
  type MaskedCrossEntropyInputs,
} from '@procpt/model/kernel-spec';
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
function dropoutAttrs(attrs: FusedAttentionAttrs): [number, number] {
  const rate = attrs.dropout ?? 0;
  const seed = attrs.seed ?? 0;
  if (!(rate >= 0 && rate < 1))
    throw new Error(`procpt-native: attention dropout must be in [0, 1), got ${rate}`);
  if (!Number.isSafeInteger(seed))
    throw new Error(`procpt-native: attention seed must be an integer, got ${seed}`);
  return [rate, seed];
}

/** A kernel's inputs as tfjs hands them over: the spec's names, any of which may be missing. */
type Given<T> = Partial<T>;

/**
 * Registers the addon as the implementation of the fused forward/backward kernels, with the inputs, attributes and
 * outputs that `@procpt/model/kernel-spec` specifies.
 */
export function registerFusedKernels(addon: NativeAddon): void {
  // qkv [B, T, 3d] -> [y [B, T, d], probs [B, H, T, T]] (probs before dropout: the backward regenerates the mask)
  overrideKernel(FUSED_KERNELS.attention, ({ inputs, backend, attrs }) => {
    const input = inputs as Given<FusedAttentionInputs>;
    const attr = attrs as unknown as FusedAttentionAttrs;
    const qkv = input.qkv!;
    const [b, t, d3] = qkv.shape as [number, number, number];
    const h = attr.nHead;
    const d = d3 / 3;
    const [rate, seed] = dropoutAttrs(attr);
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
    const input = inputs as Given<FusedAttentionGradInputs>;
    const attr = attrs as unknown as FusedAttentionAttrs;
    const qkv = input.qkv!;
    const [b, t, d3] = qkv.shape as [number, number, number];
    const h = attr.nHead;
    const d = d3 / 3;
    const [rate, seed] = dropoutAttrs(attr);
    const dqkv = allocF32(b * t * d3, true);
    addon.attentionBackward(
      need(f32(backend, input.dy), 'dy'),
      need(f32(backend, qkv), 'qkv'),
      need(f32(backend, input.probs), 'probs'),
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
    const input = inputs as Given<LayerNormInputs>;
    const attr = attrs as unknown as LayerNormAttrs;
    const x = input.x!;
    const dim = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / dim;
    const y = allocF32(rows * dim, true);
    const mean = allocF32(rows);
    const rstd = allocF32(rows);
    addon.layerNormForward(
      need(f32(backend, x), 'x'),
      need(f32(backend, input.gamma), 'gamma'),
      need(f32(backend, input.beta), 'beta'),
      y,
      mean,
      rstd,
      rows,
      dim,
      attr.epsilon,
    );
    return [
      output(backend, x.shape.slice(), y),
      output(backend, [rows], mean),
      output(backend, [rows], rstd),
    ];
  });
  overrideKernel(FUSED_KERNELS.layerNormGrad, ({ inputs, backend }) => {
    const input = inputs as Given<LayerNormGradInputs>;
    const x = input.x!;
    const dim = x.shape[x.shape.length - 1]!;
    const rows = sizeOf(x.shape) / dim;
    const dx = allocF32(rows * dim, true);
    const dg = allocF32(dim);
    const db = allocF32(dim);
    addon.layerNormBackward(
      need(f32(backend, input.dy), 'dy'),
      need(f32(backend, x), 'x'),
      need(f32(backend, input.gamma), 'gamma'),
      need(f32(backend, input.mean), 'mean'),
      need(f32(backend, input.rstd), 'rstd'),
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
    const input = inputs as Given<BiasGeluInputs>;
    const x = input.x!;
    const f = x.shape[x.shape.length - 1]!;
    const y = allocF32(sizeOf(x.shape), true);
    addon.biasGeluForward(
      need(f32(backend, x), 'x'),
      need(f32(backend, input.bias), 'bias'),
      y,
      y.length / f,
      f,
    );
    return output(backend, x.shape.slice(), y);
  });
  overrideKernel(FUSED_KERNELS.biasGeluGrad, ({ inputs, backend }) => {
    const input = inputs as Given<BiasGeluGradInputs>;
    const x = input.x!;
    const f = x.shape[x.shape.length - 1]!;
    const dx = allocF32(sizeOf(x.shape), true);
    const db = allocF32(f);
    addon.biasGeluBackward(
      need(f32(backend, input.dy), 'dy'),
      need(f32(backend, x), 'x'),
      need(f32(backend, input.bias), 'bias'),
      dx,
      db,
      dx.length / f,
      f,
    );
    return [output(backend, x.shape.slice(), dx), output(backend, [f], db)];
  });
  // h [N, d], w [V, d], targets int32 [N], weights [N] -> [lossSum [], correct [], dh [N, d], dw [V, d]]
  overrideKernel(FUSED_KERNELS.maskedCrossEntropy, ({ inputs, backend, attrs }) => {
    const input = inputs as Given<MaskedCrossEntropyInputs>;
    const attr = attrs as unknown as MaskedCrossEntropyAttrs;
    const h = input.h!;
    const w = input.w!;
    const [n, d] = h.shape as [number, number];
    const v = w.shape[0]!;
    const withGrad = attr.withGrad;
    const lc = new Float64Array(2);
    const dh = withGrad ? allocF32(n * d) : null;
    const dw = withGrad ? allocF32(v * d) : null;
    addon.maskedCrossEntropy(
      need(f32(backend, h), 'h'),
      need(f32(backend, w), 'w'),
      need(i32(backend, input.targets), 'targets'),
      need(f32(backend, input.weights), 'weights'),
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
