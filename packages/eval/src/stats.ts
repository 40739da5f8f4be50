import { ProcptError } from '@procpt/core';
import { seededRandom } from './rng.js';

/** Mean of `xs` (NaN for none). */
export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n − 1 denominator); NaN for fewer than 2 values. */
export function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Linear-interpolation quantile (type 7) of sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

/** Options of the bootstrap. */
export interface BootstrapOptions {
  /** Seed of the resampling stream (default 0): the same data and seed give the same interval. */
  seed?: number;
  /** Bootstrap resamples (default 10,000). */
  resamples?: number;
  /** Confidence level (default 0.95). */
  level?: number;
}

/**
 * Percentile bootstrap confidence interval of the mean: resample `xs` with replacement `resamples` times
 * and take the (1−level)/2 and (1+level)/2 quantiles of the resampled means. [x, x] for one value.
 */
export function bootstrapCi(xs: readonly number[], options: BootstrapOptions = {}): [number, number] {
  const { seed = 0, resamples = 10_000, level = 0.95 } = options;
  if (xs.length === 0) return [Number.NaN, Number.NaN];
  if (!(level > 0 && level < 1)) throw new ProcptError('usage', `level must be in (0, 1), got ${level}`);
  if (!Number.isInteger(resamples) || resamples < 10) {
    throw new ProcptError('usage', `resamples must be an integer ≥ 10, got ${resamples}`);
  }
  const n = xs.length;
  const rng = seededRandom(seed, 0xb0075, n);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += xs[rng.int(n)] as number;
    means[b] = s / n;
  }
  means.sort();
  const sorted = Array.from(means);
  return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, (1 + level) / 2)];
}

/** Summary of one configuration over seeds. */
export interface SeedSummary {
  n: number;
  mean: number;
  sd: number;
  /** Bootstrap confidence interval of the mean. */
  ci: [number, number];
  level: number;
}

/** Mean, standard deviation and bootstrap interval of per-seed values. */
export function summarize(xs: readonly number[], options: BootstrapOptions = {}): SeedSummary {
  return {
    n: xs.length,
    mean: mean(xs),
    sd: standardDeviation(xs),
    ci: bootstrapCi(xs, options),
    level: options.level ?? 0.95,
  };
}

/** One per-seed value. */
export interface SeedValue {
  seed: number;
  value: number;
}

/** Paired difference (treatment − baseline) over shared seeds. */
export interface PairedDifference extends SeedSummary {
  /** Seeds present in both. */
  seeds: number[];
}

/**
 * Paired difference `treatment − baseline` over the seeds both have (same seed = same test set and
 * training stream, so pairing removes that shared variance), with a bootstrap interval of the mean
 * difference.
 */
export function pairedDifference(
  treatment: readonly SeedValue[],
  baseline: readonly SeedValue[],
  options: BootstrapOptions = {},
): PairedDifference {
  const base = new Map<number, number>();
  for (const b of baseline) {
    if (base.has(b.seed)) throw new ProcptError('data', `baseline has seed ${b.seed} twice`);
    base.set(b.seed, b.value);
  }
  const seen = new Set<number>();
  const seeds: number[] = [];
  const diffs: number[] = [];
  for (const t of [...treatment].sort((a, b) => a.seed - b.seed)) {
    if (seen.has(t.seed)) throw new ProcptError('data', `treatment has seed ${t.seed} twice`);
    seen.add(t.seed);
    const b = base.get(t.seed);
    if (b === undefined) continue;
    seeds.push(t.seed);
    diffs.push(t.value - b);
  }
  if (diffs.length === 0) {
    throw new ProcptError('data', 'no seed is shared by the treatment and the baseline', {
      hint: 'run both configurations with the same seeds',
    });
  }
  return { ...summarize(diffs, options), seeds };
}
