import { ProcptError } from '@procpt/core';

/**
 * Murmur3's 32-bit finaliser: a bijection on 32-bit words with full avalanche. Used to spread the
 * words of a key (seed, stream..., index) over the generator state.
 */
function fmix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// Four independent hash lanes (distinct initial values) give a 128-bit key hash, so distinct
// (seed, stream, index) keys collide with probability ~2^-128 instead of the 2^-32 a single 32-bit
// hash would give (which already collides within a 100k-sample dataset).
const LANE_INIT = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a] as const;
const TWO_32 = 4294967296;
const INV_2_32 = 1 / 4294967296;
const STATE_PREFIX = 'xoshiro128**:';

// The key hash's four lanes. Module-level scratch (JS is single-threaded per isolate) so seeding
// allocates nothing.
let h0 = 0;
let h1 = 0;
let h2 = 0;
let h3 = 0;

function beginKey(parts: number): void {
  h0 = LANE_INIT[0] ^ parts;
  h1 = LANE_INIT[1] ^ parts;
  h2 = LANE_INIT[2] ^ parts;
  h3 = LANE_INIT[3] ^ parts;
}

/** Mixes one key part (a safe integer, as two 32-bit halves) into every lane, each differently. */
function absorb(part: number): void {
  const lo = part >>> 0;
  const hi = Math.floor(part / TWO_32) >>> 0;
  h0 = fmix32(fmix32(h0 ^ lo) ^ hi);
  h1 = fmix32(fmix32(h1 + lo) + hi);
  h2 = fmix32(fmix32(h2 ^ rotl(lo, 11)) ^ rotl(hi, 7));
  h3 = fmix32(fmix32(h3 - lo) - hi);
}

/** The hash state of a key prefix (see {@link Rng.keyPrefix}). */
export interface KeyPrefix {
  readonly h0: number;
  readonly h1: number;
  readonly h2: number;
  readonly h3: number;
}

function checkKeyPart(part: number, where: string): void {
  if (!Number.isSafeInteger(part) || part < 0) {
    throw new ProcptError('config', `${where} must be a non-negative safe integer, got ${String(part)}`);
  }
}

/**
 * procpt's one pseudo-random generator: **xoshiro128\*\*** (Blackman & Vigna, 2018) over four 32-bit
 * words, seeded from a key `(seed, ...stream)` through a 128-bit hash built from murmur3's `fmix32`
 * finaliser. Every random thing in procpt is a pure function of such a key — e.g. sample `i` of a
 * generator uses `(seed, typeStream, i)` — so any index range can be generated anywhere, in any
 * order, with the same bytes on every machine and Node version (only 32-bit integer arithmetic).
 *
 * `state()` / `fromState()` serialise the exact position, for training checkpoints.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  private constructor() {}

  /**
   * A generator for the key `(seed, ...stream)`. Every part must be a non-negative safe integer
   * (< 2^53). Distinct keys give independent-looking streams; `fromSeed(1, 2)` ≠ `fromSeed(1)`.
   */
  static fromSeed(seed: number, ...stream: number[]): Rng {
    const rng = new Rng();
    rng.reseedKey(seed, stream);
    return rng;
  }

  /** Restores a generator from {@link Rng.state}. Throws `ProcptError('corrupt')` on a malformed state. */
  static fromState(state: string): Rng {
    const match = /^xoshiro128\*\*:([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{8})([0-9a-f]{8})$/.exec(state);
    if (!match) {
      throw new ProcptError('corrupt', `not an Rng state: ${JSON.stringify(state.slice(0, 60))}`, {
        hint: `expected "${STATE_PREFIX}" followed by 32 lowercase hex digits, as written by Rng.state()`,
      });
    }
    const rng = new Rng();
    rng.s0 = Number.parseInt(match[1] as string, 16) | 0;
    rng.s1 = Number.parseInt(match[2] as string, 16) | 0;
    rng.s2 = Number.parseInt(match[3] as string, 16) | 0;
    rng.s3 = Number.parseInt(match[4] as string, 16) | 0;
    if ((rng.s0 | rng.s1 | rng.s2 | rng.s3) === 0) {
      throw new ProcptError('corrupt', 'Rng state is all zeros, which xoshiro128** can never reach');
    }
    return rng;
  }

  /**
   * Re-keys this generator in place to `(seed, ...stream)`: the same stream `fromSeed` would give,
   * without allocating (generators reuse one Rng for every sample).
   */
  reseed(seed: number, ...stream: number[]): this {
    this.reseedKey(seed, stream);
    return this;
  }

  /**
   * The hash state after the first parts of a key: `Rng.keyPrefix(seed, a)` then
   * `reseedAt(prefix, i)` gives exactly the stream of `fromSeed(seed, a, i)`, hashing only `i` per
   * sample.
   */
  static keyPrefix(seed: number, ...stream: number[]): KeyPrefix {
    checkKeyPart(seed, 'seed');
    for (const part of stream) checkKeyPart(part, 'stream');
    beginKey(stream.length + 2);
    absorb(seed);
    for (const part of stream) absorb(part);
    return { h0, h1, h2, h3 };
  }

  /** Re-keys to the prefix's key extended by `last` (a non-negative safe integer). */
  reseedAt(prefix: KeyPrefix, last: number): this {
    checkKeyPart(last, 'sample index');
    h0 = prefix.h0;
    h1 = prefix.h1;
    h2 = prefix.h2;
    h3 = prefix.h3;
    absorb(last);
    this.setState(h0, h1, h2, h3);
    return this;
  }

  private reseedKey(seed: number, stream: readonly number[]): void {
    checkKeyPart(seed, 'seed');
    for (const part of stream) checkKeyPart(part, 'stream');
    beginKey(stream.length + 1);
    absorb(seed);
    for (const part of stream) absorb(part);
    this.setState(h0, h1, h2, h3);
  }

  private setState(a: number, b: number, c: number, d: number): void {
    // Cross the lanes once more so each state word depends on every lane.
    this.s0 = fmix32(a ^ rotl(d, 16)) | 0;
    this.s1 = fmix32(b ^ rotl(a, 16)) | 0;
    this.s2 = fmix32(c ^ rotl(b, 16)) | 0;
    this.s3 = fmix32(d ^ rotl(c, 16)) | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform unsigned 32-bit integer. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 53 random bits (two 32-bit draws). */
  nextFloat(): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform integer in [0, maxExclusive), exactly unbiased. Lemire's multiply-and-reject for
   * `maxExclusive ≤ 2^21` (the product stays exact in a double), plain rejection above.
   */
  int(maxExclusive: number): number {
    if (maxExclusive >= 1 && maxExclusive <= 2097152 && (maxExclusive | 0) === maxExclusive) {
      // m = u·n < 2^53 is exact; its high word is the draw, its low word decides rejection.
      let m = this.nextU32() * maxExclusive;
      let hi = Math.floor(m * INV_2_32);
      let low = m - hi * TWO_32;
      if (low < maxExclusive) {
        const threshold = (TWO_32 - maxExclusive) % maxExclusive;
        while (low < threshold) {
          m = this.nextU32() * maxExclusive;
          hi = Math.floor(m * INV_2_32);
          low = m - hi * TWO_32;
        }
      }
      return hi;
    }
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_32) {
      throw new ProcptError(
        'usage',
        `Rng.int(): maxExclusive must be an integer in [1, 2^32], got ${maxExclusive}`,
      );
    }
    const limit = TWO_32 - (TWO_32 % maxExclusive);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % maxExclusive;
    }
  }

  /** True with probability `p` (resolution 2^-32). */
  chance(p: number): boolean {
    return this.nextU32() < p * TWO_32;
  }

  /** The exact position of the stream, restorable with {@link Rng.fromState}. */
  state(): string {
    const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return `${STATE_PREFIX}${hex(this.s0)}${hex(this.s1)}${hex(this.s2)}${hex(this.s3)}`;
  }

  /** An independent copy at the same position. */
  clone(): Rng {
    return Rng.fromState(this.state());
  }
}
