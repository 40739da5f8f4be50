import { assertConfig } from '@procpt/core';

// splitmix32 (a 32-bit variant of Steele et al.'s SplitMix): turns any seed words into well-mixed
// state words, so nearby seeds (0, 1, 2…) give unrelated streams.
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * A small seeded PRNG: xoshiro128** (Blackman & Vigna, 2018) over four 32-bit words, seeded
 * through splitmix32. `fromSeed(seed, ...stream)` derives independent streams (e.g. one per
 * split and module) so every DM-Math file is a pure function of (seed, split, module, index).
 */
export class MathRng {
  private constructor(private readonly s: Uint32Array) {}

  /** A generator for `seed` and optional stream words (each a 32-bit integer). */
  static fromSeed(seed: number, ...stream: number[]): MathRng {
    for (const word of [seed, ...stream]) {
      assertConfig(Number.isInteger(word), 'rng seed', 'an integer', word);
    }
    let mix = 0x6a09e667;
    const s = new Uint32Array(4);
    for (const word of [seed, ...stream]) {
      mix = (mix ^ (word >>> 0)) | 0;
      const [next] = splitmix32(mix);
      mix = next;
      // fold high bits of large (up to 2^53) seeds in too
      mix = (mix ^ Math.floor(word / 0x1_0000_0000)) | 0;
    }
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(mix);
      mix = next;
      s[i] = out;
    }
    if (s.every((w) => w === 0)) s[0] = 1; // the all-zero state is a fixed point
    return new MathRng(s);
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const s2 = s[2] as number;
    const s3 = s[3] as number;
    const mul5 = Math.imul(s1, 5);
    const result = Math.imul((mul5 << 7) | (mul5 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, maxExclusive), unbiased (rejection sampling); maxExclusive ≤ 2^53. */
  int(maxExclusive: number): number {
    if (maxExclusive <= 1) return 0;
    if (maxExclusive <= 0x1_0000_0000) {
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % maxExclusive);
      for (;;) {
        const x = this.nextU32();
        if (x < limit) return x % maxExclusive;
      }
    }
    return Number(this.bigBelow(BigInt(maxExclusive)));
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** A uniform bigint in [0, max) (max > 0), by rejection on whole 32-bit words. */
  bigBelow(max: bigint): bigint {
    if (max <= 1n) return 0n;
    const bits = (max - 1n).toString(2).length;
    const words = Math.ceil(bits / 32);
    const mask = (1n << BigInt(bits)) - 1n;
    for (;;) {
      let x = 0n;
      for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(this.nextU32());
      x &= mask;
      if (x < max) return x;
    }
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.float();
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}
