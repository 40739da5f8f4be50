import { toBase } from './arithmetic.js';
import { Rational, absBig, gcd as gcdBig } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { Retry, integer, list, nonZeroInteger, splitEntropy } from './sampling.js';

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

const WITNESSES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];

/** Deterministic Miller–Rabin, exact for n < 3.3·10^24 (the first 13 primes as witnesses). */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of WITNESSES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while (d % 2n === 0n) {
    d /= 2n;
    s++;
  }
  outer: for (const a of WITNESSES) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/** The smallest prime ≥ n. */
export function nextPrime(n: bigint): bigint {
  let c = n < 2n ? 2n : n;
  while (!isPrime(c)) c++;
  return c;
}

/** `numbers__gcd`: greatest common divisor of two multiples of a common factor. */
export function gcdModule(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [eg, ea, eb] = splitEntropy(rng, ctx.entropy, 3) as [number, number, number];
  const g = nonZeroInteger(rng, eg, false);
  const a = g * nonZeroInteger(rng, ea, rng.chance(0.3));
  const b = g * nonZeroInteger(rng, eb, false);
  const question = rng.pick([
    `Calculate the greatest common factor of ${a} and ${b}.`,
    `What is the greatest common divisor of ${a} and ${b}?`,
    `Calculate the highest common divisor of ${a} and ${b}.`,
    `What is the highest common factor of ${a} and ${b}?`,
    `Calculate the greatest common divisor of ${a} and ${b}.`,
  ]);
  return { question, answer: gcdBig(a, b).toString() };
}

/** `numbers__lcm`: least common multiple, also asked as the common denominator of two fractions. */
export function lcmModule(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [eg, ea, eb] = splitEntropy(rng, ctx.entropy, 3) as [number, number, number];
  const g = nonZeroInteger(rng, eg, false);
  const a = g * nonZeroInteger(rng, ea, false, true);
  const b = g * nonZeroInteger(rng, eb, false, true);
  const lcm = (a * b) / gcdBig(a, b);
  if (rng.chance(0.4)) {
    const numerator = (den: bigint): bigint => {
      for (;;) {
        const n = nonZeroInteger(rng, Math.min(2, ctx.entropy / 3));
        if (gcdBig(n, den) === 1n) return n;
      }
    };
    const f1 = `${numerator(a)}/${a}`;
    const f2 = `${numerator(b)}/${b}`;
    const question = rng.pick([
      `Calculate the common denominator of ${f1} and ${f2}.`,
      `What is the common denominator of ${f1} and ${f2}?`,
      `Find the common denominator of ${f1} and ${f2}.`,
    ]);
    return { question, answer: lcm.toString() };
  }
  const question = rng.pick([
    `Calculate the smallest common multiple of ${a} and ${b}.`,
    `What is the lowest common multiple of ${a} and ${b}?`,
    `Calculate the least common multiple of ${a} and ${b}.`,
    `What is the smallest common multiple of ${a} and ${b}?`,
    `Find the least common multiple of ${a} and ${b}.`,
  ]);
  return { question, answer: lcm.toString() };
}

/** `numbers__div_remainder`: the remainder of a division of positive integers. */
export function divRemainder(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [ed, eq] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const d = nonZeroInteger(rng, Math.max(ed, 1), false, true);
  const a = d * integer(rng, eq, false, 1n) + rng.bigBelow(d);
  const question = rng.pick([
    `What is the remainder when ${a} is divided by ${d}?`,
    `Calculate the remainder when ${a} is divided by ${d}.`,
    `What is the remainder of ${a} divided by ${d}?`,
  ]);
  return { question, answer: (a % d).toString() };
}

/** `numbers__is_prime`: primality (half the draws are primes). */
export function isPrimeModule(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  let n: bigint;
  if (rng.chance(0.5)) n = nextPrime(integer(rng, ctx.entropy, false, 2n));
  else {
    const [e1, e2] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
    n = integer(rng, e1, false, 2n) * integer(rng, e2, false, 2n);
  }
  const prime = isPrime(n);
  if (rng.chance(0.5)) {
    return {
      question: rng.pick([`Is ${n} prime?`, `Is ${n} a prime number?`]),
      answer: prime ? 'True' : 'False',
    };
  }
  return {
    question: rng.pick([`Is ${n} composite?`, `Is ${n} a composite number?`]),
    answer: prime ? 'False' : 'True',
  };
}

/** `numbers__is_factor`: divisibility (half the draws divide). */
export function isFactor(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [ed, eq] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const d = nonZeroInteger(rng, Math.max(ed, 1), false, true);
  const a = rng.chance(0.5) ? d * integer(rng, eq, false, 1n) : integer(rng, ctx.entropy, false, 1n);
  const question = rng.pick([
    `Is ${d} a factor of ${a}?`,
    `Does ${d} divide ${a}?`,
    `Is ${a} a multiple of ${d}?`,
    `Is ${a} divisible by ${d}?`,
  ]);
  return { question, answer: a % d === 0n ? 'True' : 'False' };
}

/** `numbers__list_prime_factors`: the distinct prime factors, ascending. */
export function listPrimeFactors(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const count = rng.range(1, Math.max(1, Math.min(4, Math.floor(ctx.entropy / 2))));
  const shares = splitEntropy(rng, ctx.entropy, count);
  let n = 1n;
  const primes = new Set<bigint>();
  for (const e of shares) {
    const p = nextPrime(integer(rng, Math.max(e, 0.4), false, 2n));
    primes.add(p);
    n *= p;
  }
  if (n < 2n) throw new Retry();
  const sorted = [...primes].sort((a, b) => (a < b ? -1 : 1));
  const question = rng.pick([`What are the prime factors of ${n}?`, `List the prime factors of ${n}.`]);
  return { question, answer: list(sorted.map(String)) };
}

const PLACE_NAMES = [
  'units',
  'tens',
  'hundreds',
  'thousands',
  'ten thousands',
  'hundred thousands',
  'millions',
  'ten millions',
  'hundred millions',
  'billions',
] as const;

/** `numbers__place_value` (and `_big`): one decimal digit of an integer. */
export function placeValue(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const n = integer(rng, ctx.entropy, rng.chance(0.2), 1n);
  const digits = absBig(n).toString();
  const position = rng.int(Math.min(digits.length, PLACE_NAMES.length));
  const digit = digits[digits.length - 1 - position] as string;
  const name = PLACE_NAMES[position] as string;
  const question = rng.pick([`What is the ${name} digit of ${n}?`, `What is the ${name} digit of ${n}?`]);
  return { question, answer: digit };
}

const POWER_NAMES = [
  [1, 'ten'],
  [2, 'one hundred'],
  [3, 'one thousand'],
  [4, 'ten thousand'],
  [5, 'one hundred thousand'],
  [6, 'one million'],
  [7, 'ten million'],
] as const;

const PLACE_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven'] as const;

/** x rounded to a multiple of 10^-places, half away from zero; Retry on an exact tie. */
export function roundTo(x: Rational, places: number): Rational {
  const scale =
    places >= 0 ? Rational.of(10n ** BigInt(places)) : Rational.ONE.div(Rational.of(10n ** BigInt(-places)));
  const scaled = x.mul(scale).abs();
  const floor = scaled.num / scaled.den;
  const frac = scaled.sub(Rational.of(floor));
  const half = Rational.of(1, 2);
  if (frac.eq(half)) throw new Retry();
  const rounded = frac.cmp(half) > 0 ? floor + 1n : floor;
  return Rational.of(x.sign() < 0 ? -rounded : rounded).div(scale);
}

/** `numbers__round_number` (and `_big`): round to a power of ten or to decimal places. */
export function roundNumber(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const places = rng.range(0, 6);
  const x = new Rational(integer(rng, ctx.entropy, true, 1n), 10n ** BigInt(places));
  if (rng.chance(0.5) && places > 0) {
    const dp = rng.range(0, places - 1);
    const value = roundTo(x, dp);
    const dpText = dp === 1 ? 'one decimal place' : `${PLACE_WORDS[dp]} decimal places`;
    const question = rng.pick([
      `Round ${x.toDecimal()} to ${dpText}.`,
      `What is ${x.toDecimal()} rounded to ${dp} decimal place${dp === 1 ? '' : 's'}?`,
      `Round ${x.toDecimal()} to ${dp} dp.`,
      `What is ${x.toDecimal()} rounded to ${dp} dps?`,
    ]);
    return { question, answer: value.toDecimal() };
  }
  const intDigits = (absBig(x.num) / x.den).toString().length;
  const [power, name] = rng.pick(POWER_NAMES.filter(([p]) => p <= Math.max(1, intDigits - 1)));
  const value = roundTo(x, -power);
  const question = rng.pick([
    `Round ${x.toDecimal()} to the nearest ${10 ** power}.`,
    `What is ${x.toDecimal()} rounded to the nearest ${name}?`,
    `Round ${x.toDecimal()} to the nearest ${name}.`,
  ]);
  return { question, answer: value.toDecimal() };
}

/** `numbers__base_conversion`: an integer from one base (2–16) to another. */
export function baseConversion(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const bases = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const from = rng.chance(0.5) ? 10 : rng.pick(bases);
  let to = rng.pick(bases);
  if (to === from) to = from === 10 ? 2 : 10;
  const n = integer(rng, ctx.entropy, true, 1n);
  const question = rng.pick([
    `What is ${toBase(n, from)} (base ${from}) in base ${to}?`,
    `Convert ${toBase(n, from)} (base ${from}) to base ${to}.`,
  ]);
  return { question, answer: toBase(n, to) };
}
