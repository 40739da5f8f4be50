/**
 * The random source the diagnostic generators and the bootstrap draw from. It is a small seeded
 * xoshiro128** stream keyed by (seed, ...stream) so every test set, training example and resample is a
 * pure function of its key. Kept behind this one factory so it can be swapped for procgen's `Rng` without
 * touching any caller.
 */
export interface RandomSource {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Uniform integer in [0, maxExclusive), unbiased (rejection), maxExclusive ≤ 2^32. */
  int(maxExclusive: number): number;
}

// splitmix32 finaliser: spreads (seed, stream...) into well-mixed 32-bit words.
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

class Xoshiro128 implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(key: readonly number[]) {
    let h = 0x6a09e667;
    for (const part of key) {
      // Numbers up to 2^53 are folded in as two 32-bit halves so large seeds stay distinct.
      const lo = part >>> 0;
      const hi = Math.floor(part / 2 ** 32) >>> 0;
      h = mix32(h ^ lo);
      h = mix32(h ^ hi ^ 0x5bd1e995);
    }
    this.s0 = mix32(h ^ 1);
    this.s1 = mix32(h ^ 2);
    this.s2 = mix32(h ^ 3);
    this.s3 = mix32(h ^ 4);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 2 ** 32) {
      throw new RangeError(`int(): maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`);
    }
    // Rejection sampling on the largest multiple of maxExclusive below 2^32.
    const limit = 2 ** 32 - (2 ** 32 % maxExclusive);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % maxExclusive;
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** A deterministic random stream for the key (seed, ...stream). */
export function seededRandom(seed: number, ...stream: number[]): RandomSource {
  return new Xoshiro128([seed, ...stream]);
}

/** A standard normal draw (Box–Muller), for simulations and tests. */
export function normalDraw(rng: RandomSource): number {
  const u = 1 - rng.nextFloat(); // (0, 1]
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
