import { describe, expect, it } from 'vitest';
import { normalDraw, seededRandom } from './rng.js';
import {
  bootstrapCi,
  mean,
  pairedDifference,
  quantileSorted,
  standardDeviation,
  summarize,
} from './stats.js';

describe('basic statistics (hand-computed)', () => {
  it('mean, sd, quantiles', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(standardDeviation([5])).toBeNaN();
    expect(quantileSorted([1, 2, 3, 4, 5], 0.25)).toBe(2);
    expect(quantileSorted([0, 10], 0.975)).toBeCloseTo(9.75, 12);
  });

  it('bootstrap is seeded, brackets the mean, and degenerates on constant data', () => {
    const xs = [0.1, 0.5, 0.3, 0.9, 0.7, 0.2];
    expect(bootstrapCi(xs, { seed: 4 })).toEqual(bootstrapCi(xs, { seed: 4 }));
    const wide = Array.from(
      { length: 30 },
      (_, i) => Math.sin(i * 12.9898) * 43758.5453 - Math.floor(Math.sin(i * 12.9898) * 43758.5453),
    );
    expect(bootstrapCi(wide, { seed: 4 })).not.toEqual(bootstrapCi(wide, { seed: 5 }));
    const [lo, hi] = bootstrapCi(xs);
    expect(lo).toBeLessThan(mean(xs));
    expect(hi).toBeGreaterThan(mean(xs));
    expect(bootstrapCi([3, 3, 3])).toEqual([3, 3]);
    expect(summarize([1, 2, 3])).toMatchObject({ n: 3, mean: 2, sd: 1, level: 0.95 });
  });

  it('covers the true mean at close to the nominal rate on simulated data', () => {
    // Percentile bootstrap of a mean of 20 normals covers ≈ 0.93 (slightly under 0.95: known small-n bias).
    const rng = seededRandom(2024);
    const reps = 400;
    let covered = 0;
    for (let r = 0; r < reps; r++) {
      const xs = Array.from({ length: 20 }, () => 3 + 2 * normalDraw(rng));
      const [lo, hi] = bootstrapCi(xs, { seed: r, resamples: 1000 });
      if (lo <= 3 && 3 <= hi) covered++;
    }
    expect(covered / reps).toBeGreaterThan(0.89);
    expect(covered / reps).toBeLessThan(0.98);
  });
});

describe('pairedDifference', () => {
  it('pairs by seed and ignores unmatched seeds', () => {
    const t = [
      { seed: 2, value: 0.9 },
      { seed: 0, value: 0.8 },
      { seed: 7, value: 0.1 },
    ];
    const b = [
      { seed: 0, value: 0.5 },
      { seed: 2, value: 0.4 },
      { seed: 3, value: 0.0 },
    ];
    const d = pairedDifference(t, b);
    expect(d.seeds).toEqual([0, 2]);
    expect(d.mean).toBeCloseTo(0.4, 12);
    expect(d.sd).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(d.ci[0]).toBeCloseTo(0.3, 12);
    expect(d.ci[1]).toBeCloseTo(0.5, 12);
  });

  it('refuses data with no shared seed or duplicate seeds', () => {
    expect(() => pairedDifference([{ seed: 1, value: 1 }], [{ seed: 2, value: 1 }])).toThrow(
      /no seed is shared/,
    );
    expect(() =>
      pairedDifference(
        [{ seed: 1, value: 1 }],
        [
          { seed: 1, value: 1 },
          { seed: 1, value: 2 },
        ],
      ),
    ).toThrow(/twice/);
  });
});
