import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';

// Every CPU tier the binary has and this CPU runs (avx512, avx2, base on an AVX-512 x86-64) computes the same
// kernels to float32 rounding: the other test files only exercise the best tier (PROCPT_NATIVE_ISA=avx2 or base
// runs all of them on a lower one).
const load = loadAddon();
const addon = load.addon as NativeAddon;
const tiers = load.addon?.info().isas ?? [];

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 8) / 8388608 - 1;
  }
  return out;
}

/** The outputs of a few kernels of every kind on the current tier. */
function run(a: NativeAddon): Record<string, Float32Array | Float64Array> {
  const out: Record<string, Float32Array | Float64Array> = {};
  const [M, N, K] = [37, 53, 300];
  out.matmul = new Float32Array(2 * M * N);
  a.matmul(rand(2 * M * K, 1), rand(K * N, 2), out.matmul, 2, M, N, K, 0, 1, M * K, 0);
  const x = rand(4099, 3).map((v) => v * 6);
  out.exp = new Float32Array(x.length);
  a.unary(0, out.exp, x, x.length, 0);
  out.tanh = new Float32Array(x.length);
  a.unary(1, out.tanh, x, x.length, 0);
  out.softmax = new Float32Array(x.length - 3);
  a.softmax(out.softmax, x, 16, 256);
  for (const dh of [8, 32]) {
    const [B, T, H] = [2, 45, 2];
    const d = H * dh;
    const qkv = rand(B * T * 3 * d, 4 + dh);
    const y = new Float32Array(B * T * d);
    const probs = new Float32Array(B * H * T * T);
    a.attentionForward(qkv, y, probs, B, T, H, dh, 1 / Math.sqrt(dh), 0.1, 7);
    const dqkv = new Float32Array(qkv.length);
    a.attentionBackward(rand(y.length, 5), qkv, probs, dqkv, B, T, H, dh, 1 / Math.sqrt(dh), 0.1, 7);
    out[`attention dh ${dh}`] = y;
    out[`attention grad dh ${dh}`] = dqkv;
  }
  const [rows, D] = [33, 96];
  const h = rand(rows * D, 6);
  out.layerNorm = new Float32Array(rows * D);
  a.layerNormForward(
    h,
    rand(D, 7),
    rand(D, 8),
    out.layerNorm,
    new Float32Array(rows),
    new Float32Array(rows),
    rows,
    D,
    1e-5,
  );
  out.gelu = new Float32Array(rows * D);
  a.biasGeluForward(h, rand(D, 9), out.gelu, rows, D);
  const V = 77;
  const targets = Int32Array.from({ length: rows }, (_, i) => (i * 13) % V);
  out.ce = new Float64Array(2);
  out.ceGradH = new Float32Array(rows * D);
  a.maskedCrossEntropy(
    h,
    rand(V * D, 10),
    targets,
    new Float32Array(rows).fill(1),
    rows,
    V,
    D,
    out.ce,
    out.ceGradH,
    null,
  );
  const p = rand(5000, 11);
  a.adamw(
    p,
    rand(5000, 12),
    new Float32Array(5000),
    new Float32Array(5000),
    5000,
    1e-3,
    0.9,
    0.999,
    1e-8,
    0.1,
    0.1,
    0.001,
    0.5,
  );
  out.adamw = p;
  return out;
}

describe.skipIf(!load.addon)('CPU tiers of the native addon', () => {
  const best = tiers[0]!;
  afterAll(() => {
    addon?.setIsa(best);
  });
  it('the best tier is the one in use, and every tier includes the baseline', () => {
    expect(addon.info().isa).toBe(best);
    expect(tiers.at(-1)).toBe('base');
    expect(addon.setIsa('no-such-tier')).toBe(false);
    expect(addon.info().isa).toBe(best);
  });
  const reference = load.addon ? run(addon) : {};
  for (const tier of tiers.slice(1)) {
    it(`${tier} gives the ${best} results to float32 rounding`, () => {
      expect(addon.setIsa(tier)).toBe(true);
      expect(addon.info().isa).toBe(tier);
      const got = run(addon);
      addon.setIsa(best);
      for (const [name, ref] of Object.entries(reference)) {
        const g = got[name]!;
        let scale = 0;
        let err = 0;
        for (let i = 0; i < ref.length; i++) {
          scale = Math.max(scale, Math.abs(ref[i]!));
          err = Math.max(err, Math.abs(ref[i]! - g[i]!));
        }
        expect(err / scale, `${name} on ${tier}`).toBeLessThan(1e-5);
      }
    });
  }
});
