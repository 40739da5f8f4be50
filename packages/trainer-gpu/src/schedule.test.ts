import { describe, expect, it } from 'vitest';
import { learningRate, lrFactor, type ScheduleConfig } from './schedule.js';

const base = { warmupSteps: 10, totalSteps: 110, minLrRatio: 0.1 } as const;

describe('lrFactor', () => {
  it('warms up linearly from 0', () => {
    const c: ScheduleConfig = { ...base, kind: 'cosine', floor: 'scale' };
    expect(lrFactor(c, 0)).toBe(0);
    expect(lrFactor(c, 5)).toBeCloseTo(0.5, 12);
    expect(lrFactor(c, 10)).toBeCloseTo(1, 12);
  });

  it('constant stays at 1 after warmup', () => {
    const c: ScheduleConfig = { ...base, kind: 'constant', floor: 'clamp' };
    for (const s of [10, 50, 109, 500]) expect(lrFactor(c, s)).toBe(1);
  });

  it('cosine_with_min_lr (scale) matches HF formula', () => {
    const c: ScheduleConfig = { ...base, kind: 'cosine', floor: 'scale' };
    for (const s of [10, 33, 60, 97, 110]) {
      const p = (s - 10) / 100;
      const expected = 0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * p));
      expect(lrFactor(c, s)).toBeCloseTo(expected, 12);
    }
    expect(lrFactor(c, 60)).toBeCloseTo(0.55, 12);
    expect(lrFactor(c, 110)).toBeCloseTo(0.1, 12);
  });

  it('cosine clamp matches the paper procedural trainer max(0.1, cos)', () => {
    const c: ScheduleConfig = { ...base, kind: 'cosine', floor: 'clamp' };
    expect(lrFactor(c, 60)).toBeCloseTo(0.5, 12);
    expect(lrFactor(c, 105)).toBeCloseTo(0.1, 12); // 0.5(1+cos(0.95π)) ≈ 0.006 → clamped
    expect(lrFactor(c, 1000)).toBeCloseTo(0.1, 12);
  });

  it('linear decays to the floor', () => {
    const scale: ScheduleConfig = { ...base, kind: 'linear', floor: 'scale', minLrRatio: 0 };
    expect(lrFactor(scale, 35)).toBeCloseTo(0.75, 12);
    expect(lrFactor(scale, 110)).toBe(0);
    const clamp: ScheduleConfig = { ...base, kind: 'linear', floor: 'clamp' };
    expect(lrFactor(clamp, 100)).toBeCloseTo(0.1, 12);
    expect(lrFactor(clamp, 35)).toBeCloseTo(0.75, 12);
  });

  it('scales the base rate and rejects bad steps', () => {
    const c: ScheduleConfig = { ...base, kind: 'constant', floor: 'clamp', warmupSteps: 0 };
    expect(learningRate(5e-4, c, 3)).toBe(5e-4);
    expect(() => lrFactor(c, -1)).toThrow(/non-negative/);
  });
});
