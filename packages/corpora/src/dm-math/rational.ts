function gcdBig(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** Greatest common divisor of two bigints (non-negative result; gcd(0, 0) = 0). */
export function gcd(a: bigint, b: bigint): bigint {
  return gcdBig(a, b);
}

/** Absolute value of a bigint. */
export function absBig(a: bigint): bigint {
  return a < 0n ? -a : a;
}

/**
 * An exact rational number over BigInt, always in lowest terms with a positive denominator, so
 * equal values have equal fields and `toString` is canonical (`-1/5`, `7`, `43327/120947`).
 */
export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  constructor(num: bigint, den = 1n) {
    if (den === 0n) throw new RangeError('rational with zero denominator');
    const g = gcdBig(num, den) || 1n;
    const sign = den < 0n ? -1n : 1n;
    this.num = (sign * num) / g;
    this.den = (sign * den) / g;
  }

  static readonly ZERO = new Rational(0n);
  static readonly ONE = new Rational(1n);

  /** From a JS integer or bigint. */
  static of(n: number | bigint, den: number | bigint = 1n): Rational {
    return new Rational(BigInt(n), BigInt(den));
  }

  /** Parses `12`, `-3/4` or a plain decimal `-0.125` exactly. */
  static parse(text: string): Rational {
    const frac = /^(-?\d+)\/(\d+)$/.exec(text);
    if (frac) return new Rational(BigInt(frac[1] as string), BigInt(frac[2] as string));
    const dec = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
    if (!dec) throw new SyntaxError(`not a number: ${text}`);
    const digits = dec[3] ?? '';
    const value = BigInt((dec[2] as string) + digits);
    return new Rational(dec[1] === '-' ? -value : value, 10n ** BigInt(digits.length));
  }

  add(o: Rational): Rational {
    return new Rational(this.num * o.den + o.num * this.den, this.den * o.den);
  }
  sub(o: Rational): Rational {
    return new Rational(this.num * o.den - o.num * this.den, this.den * o.den);
  }
  mul(o: Rational): Rational {
    return new Rational(this.num * o.num, this.den * o.den);
  }
  div(o: Rational): Rational {
    if (o.num === 0n) throw new RangeError('division by zero');
    return new Rational(this.num * o.den, this.den * o.num);
  }
  neg(): Rational {
    return new Rational(-this.num, this.den);
  }
  abs(): Rational {
    return this.num < 0n ? this.neg() : this;
  }
  pow(k: number): Rational {
    if (k < 0) return Rational.ONE.div(this.pow(-k));
    return new Rational(this.num ** BigInt(k), this.den ** BigInt(k));
  }
  cmp(o: Rational): number {
    const d = this.num * o.den - o.num * this.den;
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  eq(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }
  isZero(): boolean {
    return this.num === 0n;
  }
  isInteger(): boolean {
    return this.den === 1n;
  }
  sign(): number {
    return this.num < 0n ? -1 : this.num > 0n ? 1 : 0;
  }
  toNumber(): number {
    return Number(this.num) / Number(this.den);
  }

  /** Digits after the point when the value is a terminating decimal, else undefined. */
  decimalPlaces(): number | undefined {
    let d = this.den;
    let twos = 0;
    let fives = 0;
    while (d % 2n === 0n) {
      d /= 2n;
      twos++;
    }
    while (d % 5n === 0n) {
      d /= 5n;
      fives++;
    }
    return d === 1n ? Math.max(twos, fives) : undefined;
  }

  /** `a/b` (or `a` when integral): sympy's rational notation. */
  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }

  /** Plain decimal notation (`-0.0000000721882`); only for terminating decimals. */
  toDecimal(): string {
    const places = this.decimalPlaces();
    if (places === undefined) throw new RangeError(`${this} is not a terminating decimal`);
    if (places === 0) return this.num.toString();
    const scaled = (this.num * 10n ** BigInt(places)) / this.den;
    const neg = scaled < 0n;
    const digits = absBig(scaled)
      .toString()
      .padStart(places + 1, '0');
    const text = `${digits.slice(0, -places)}.${digits.slice(-places)}`;
    return neg ? `-${text}` : text;
  }
}
