import { describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { randomInts, randomValues } from './test-util.js';

const load = loadAddon();

// The fused cross-entropy processes logits in row chunks (large vocabularies get several). The op tests compare
// one chunk against tfjs' composite ops; this checks that any chunking, even ragged, gives the same result.
describe.skipIf(!load.addon)('maskedCrossEntropy row chunks (native addon)', () => {
  it('chunked loss, accuracy and gradients equal the single-chunk ones', () => {
    const addon = load.addon!;
    const [n, v, d] = [50, 37, 9];
    const h = randomValues(n * d, 21, -2, 2);
    const w = randomValues(v * d, 22);
    const targets = randomInts(n, 23, v);
    const weights = Float32Array.from(randomValues(n, 24, 0, 1), (x) => (x < 0.3 ? 0 : x));
    const run = (chunkRows: number) => {
      const lc = new Float64Array(2);
      const dh = new Float32Array(n * d);
      const dw = new Float32Array(v * d);
      addon.maskedCrossEntropy(h, w, targets, weights, n, v, d, lc, dh, dw, chunkRows);
      return { lc, dh, dw };
    };
    const one = run(0);
    for (const rows of [1, 7, 16, 49]) {
      const got = run(rows);
      expect(got.lc[0]).toBeCloseTo(one.lc[0]!, 4);
      expect(got.lc[1]).toBe(one.lc[1]);
      for (const [a, b] of [
        [got.dh, one.dh],
        [got.dw, one.dw],
      ] as const) {
        const maxDiff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
        expect(maxDiff, `chunk rows ${rows}`).toBeLessThan(1e-5);
      }
    }
  });

  it('a sparse mask (most rows unscored, as the diagnostic tasks) equals the dense float64 computation', () => {
    const addon = load.addon!;
    const [n, v, d] = [63, 29, 8];
    const h = randomValues(n * d, 31, -2, 2);
    const w = randomValues(v * d, 32);
    const targets = randomInts(n, 33, v);
    const weights = new Float32Array(n);
    for (const i of [5, 17, 40, 62]) weights[i] = i === 40 ? 0.5 : 1; // 4 of 63 rows scored
    const lc = new Float64Array(2);
    const dh = new Float32Array(n * d).fill(Number.NaN); // every row is written, unscored ones with 0
    const dw = new Float32Array(v * d);
    addon.maskedCrossEntropy(h, w, targets, weights, n, v, d, lc, dh, dw, 0);
    // reference: softmax cross-entropy in float64, row by row
    let loss = 0;
    let correct = 0;
    const refDh = new Float64Array(n * d);
    const refDw = new Float64Array(v * d);
    for (let i = 0; i < n; i++) {
      const wt = weights[i]!;
      if (wt === 0) continue;
      const logits = Array.from({ length: v }, (_, j) => {
        let z = 0;
        for (let k = 0; k < d; k++) z += h[i * d + k]! * w[j * d + k]!;
        return z;
      });
      const mx = Math.max(...logits);
      const e = logits.map((z) => Math.exp(z - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      const t = targets[i]!;
      loss += wt * (Math.log(sum) + mx - logits[t]!);
      if (logits.indexOf(mx) === t) correct += wt;
      for (let j = 0; j < v; j++) {
        const g = wt * (e[j]! / sum - (j === t ? 1 : 0));
        for (let k = 0; k < d; k++) {
          refDh[i * d + k]! += g * w[j * d + k]!;
          refDw[j * d + k]! += g * h[i * d + k]!;
        }
      }
    }
    expect(lc[0]).toBeCloseTo(loss, 4);
    expect(lc[1]).toBe(correct);
    const maxDiff = (a: Float32Array, b: Float64Array) =>
      a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
    expect(maxDiff(dh, refDh)).toBeLessThan(1e-5);
    expect(maxDiff(dw, refDw)).toBeLessThan(1e-5);
  });
});
