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
});
