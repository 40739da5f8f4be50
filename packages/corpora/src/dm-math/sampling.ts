import { createHash } from 'node:crypto';
import { Rational } from './rational.js';
import type { MathRng } from './rng.js';

/** One generated question/answer pair. */
export interface MathProblem {
  question: string;
  answer: string;
}

/** The original dataset's limits: longer samples are thrown away and drawn again. */
export const MAX_QUESTION_CHARS = 160;
export const MAX_ANSWER_CHARS = 30;

/** What a module generator gets: randomness, a difficulty ("entropy") and the split it writes. */
export interface ModuleContext {
  rng: MathRng;
  /** Roughly the number of decimal digits of freedom in the problem (3–10 train, 8 interpolate, 12 extrapolate). */
  entropy: number;
  /** `train` or `test`: modules that split values by md5 parity use it. */
  split: 'train' | 'test';
  /** Extrapolation variant (`_longer`, `_more`, `_big`): more terms, items or samples than train. */
  stretch: boolean;
}

/** Names used for variables and functions (no `e`/`i`/`I`, which sympy reads as constants). */
const LETTERS = 'abcdfghjklmnopqrstuvwxyz';

/** A random variable name. */
export function letter(rng: MathRng): string {
  return rng.pick([...LETTERS]);
}

/** `count` distinct variable names. */
export function letters(rng: MathRng, count: number): string[] {
  return rng.shuffled([...LETTERS]).slice(0, count);
}

/** Splits `entropy` into `parts` random non-negative shares that sum to it. */
export function splitEntropy(rng: MathRng, entropy: number, parts: number): number[] {
  const weights = Array.from({ length: parts }, () => rng.float() + 0.05);
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => (entropy * w) / total);
}

/** A uniform integer in [0, 10**entropy] (at least [0, 1]), as a bigint. */
function magnitude(rng: MathRng, entropy: number): bigint {
  const e = Math.max(entropy, 0.3);
  const whole = Math.floor(e);
  const max = (10n ** BigInt(whole) * BigInt(Math.max(1, Math.round(10 ** (e - whole) * 1000)))) / 1000n;
  return rng.bigBelow(max + 1n);
}

/** An integer with about `entropy` digits of freedom; signed ones are negative half the time. */
export function integer(rng: MathRng, entropy: number, signed = true, min = 0n): bigint {
  let v = magnitude(rng, entropy);
  if (v < min) v = min;
  return signed && rng.chance(0.5) ? -v : v;
}

/** Like {@link integer} but never 0 (or ±1 when `notOne`). */
export function nonZeroInteger(rng: MathRng, entropy: number, signed = true, notOne = false): bigint {
  const min = notOne ? 2n : 1n;
  return integer(rng, entropy, signed, min);
}

/** A terminating decimal with `entropy` digits spread over integer and fractional parts. */
export function decimal(rng: MathRng, entropy: number, signed = true): Rational {
  const digits = Math.max(1, Math.round(entropy));
  const places = rng.range(1, Math.min(digits, 6));
  const v = integer(rng, entropy, signed, 1n);
  return new Rational(v, 10n ** BigInt(places));
}

/** A non-integer rational a/b (|a|, b from the entropy). */
export function fraction(rng: MathRng, entropy: number, signed = true): Rational {
  const [ea, eb] = splitEntropy(rng, entropy, 2) as [number, number];
  for (;;) {
    const r = new Rational(
      nonZeroInteger(rng, ea, signed),
      nonZeroInteger(rng, Math.max(eb, 1), false, true),
    );
    if (!r.isInteger()) return r;
  }
}

/** Written like the dataset: decimals as decimals, other rationals as `a/b`. */
export function numberText(value: Rational, asDecimal: boolean): string {
  return asDecimal ? value.toDecimal() : value.toString();
}

/**
 * The md5 parity the original uses to keep train and test values disjoint: values whose
 * md5(text) is even go to train, odd ones to test.
 */
export function inSplit(text: string, split: 'train' | 'test'): boolean {
  const last = createHash('md5').update(text).digest()[15] as number;
  return (last % 2 === 0) === (split === 'train');
}

/** English words for small counts, as in "three letters picked". */
export const NUMBER_WORDS = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
] as const;

/** "first", "second", … for k-th biggest questions. */
export const ORDINALS = [
  '',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
] as const;

/** Items joined as `a, b, c`. */
export function list(items: readonly string[]): string {
  return items.join(', ');
}

/** Thrown by a module when a draw is unusable (e.g. too long); the driver draws again. */
export class Retry extends Error {
  constructor() {
    super('retry');
  }
}
