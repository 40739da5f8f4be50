import { describe, expect, it } from 'vitest';
import { tokensToLoss, tokensToTarget } from './efficiency.js';

describe('tokensToTarget', () => {
  const baseline = [
    { tokens: 100, loss: 5 },
    { tokens: 200, loss: 4 },
    { tokens: 300, loss: 3.5 },
    { tokens: 400, loss: 3 },
  ];

  it('interpolates the first crossing of the baseline final loss', () => {
    const run = [
      { tokens: 100, loss: 4.5 },
      { tokens: 200, loss: 3.4 },
      { tokens: 300, loss: 2.8 },
      { tokens: 400, loss: 2.5 },
    ];
    // Crosses 3 between 200 (3.4) and 300 (2.8): 200 + 100 · 0.4 / 0.6.
    const e = tokensToTarget(run, baseline);
    expect(e.targetLoss).toBe(3);
    expect(e.baselineTokens).toBe(400);
    expect(e.tokens).toBeCloseTo(200 + 100 * (0.4 / 0.6), 9);
    expect(e.fraction).toBeCloseTo((200 + 100 * (0.4 / 0.6)) / 400, 9);
    expect(e.saved).toBeCloseTo(400 - e.tokens!, 9);
  });

  it('the baseline against itself needs all its tokens; a curve that never gets there gives null', () => {
    expect(tokensToTarget(baseline, baseline).fraction).toBe(1);
    const worse = baseline.map((p) => ({ ...p, loss: p.loss + 1 }));
    expect(tokensToTarget(worse, baseline)).toMatchObject({ tokens: null, fraction: null, saved: null });
  });

  it('handles unsorted curves, an already-low first point and a non-monotone curve', () => {
    expect(
      tokensToLoss(
        [
          { tokens: 50, loss: 1 },
          { tokens: 10, loss: 2 },
        ],
        1.5,
      ),
    ).toBeCloseTo(30, 9);
    expect(tokensToLoss([{ tokens: 10, loss: 1 }], 2)).toBe(10);
    // Dips below at 20, comes back up: the first crossing counts.
    expect(
      tokensToLoss(
        [
          { tokens: 0, loss: 3 },
          { tokens: 20, loss: 1 },
          { tokens: 40, loss: 4 },
        ],
        2,
      ),
    ).toBe(10);
  });

  it('rejects bad curves', () => {
    expect(() => tokensToTarget([], baseline)).toThrow(/no evaluation points/);
    expect(() => tokensToLoss([{ tokens: Number.NaN, loss: 1 }], 1)).toThrow(/bad point/);
  });
});
