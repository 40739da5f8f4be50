import { Rng, normal } from '@procpt/procgen';

/**
 * The random source the diagnostic generators and the bootstrap draw from: procgen's seeded
 * xoshiro128** {@link Rng}, keyed by (seed, ...stream), so every test set, training example and resample
 * is a pure function of its key — one PRNG for all of procpt, as the design asks.
 */
export interface RandomSource {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, maxExclusive), unbiased (rejection), maxExclusive ≤ 2^32. */
  int(maxExclusive: number): number;
}

/** A deterministic random stream for the key (seed, ...stream). */
export function seededRandom(seed: number, ...stream: number[]): RandomSource {
  return Rng.fromSeed(seed, ...stream);
}

/** A standard normal draw (Box–Muller), for simulations and tests. */
export function normalDraw(rng: RandomSource): number {
  return normal(rng as Rng);
}
