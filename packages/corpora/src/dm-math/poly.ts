import { Rational } from './rational.js';

/**
 * A univariate polynomial with exact rational coefficients, `coef[i]` multiplying `x**i`
 * (no trailing zeros; the zero polynomial has no coefficients).
 */
export class Poly {
  readonly coef: readonly Rational[];

  constructor(coef: readonly Rational[]) {
    const c = coef.slice();
    while (c.length > 0 && (c[c.length - 1] as Rational).isZero()) c.pop();
    this.coef = c;
  }

  /** The polynomial with integer coefficients given from degree 0 upwards. */
  static of(...coef: (number | bigint)[]): Poly {
    return new Poly(coef.map((c) => Rational.of(c)));
  }
  static constant(c: Rational): Poly {
    return new Poly([c]);
  }
  /** `c * x**k`. */
  static monomial(c: Rational, k: number): Poly {
    const coef: Rational[] = new Array(k + 1).fill(Rational.ZERO);
    coef[k] = c;
    return new Poly(coef);
  }

  get degree(): number {
    return this.coef.length - 1;
  }
  at(k: number): Rational {
    return this.coef[k] ?? Rational.ZERO;
  }
  isZero(): boolean {
    return this.coef.length === 0;
  }

  add(o: Poly): Poly {
    const n = Math.max(this.coef.length, o.coef.length);
    const out: Rational[] = [];
    for (let i = 0; i < n; i++) out.push(this.at(i).add(o.at(i)));
    return new Poly(out);
  }
  sub(o: Poly): Poly {
    return this.add(o.scale(Rational.of(-1)));
  }
  scale(c: Rational): Poly {
    return new Poly(this.coef.map((x) => x.mul(c)));
  }
  mul(o: Poly): Poly {
    if (this.isZero() || o.isZero()) return new Poly([]);
    const out: Rational[] = new Array(this.coef.length + o.coef.length - 1).fill(Rational.ZERO);
    this.coef.forEach((a, i) => {
      o.coef.forEach((b, j) => {
        out[i + j] = (out[i + j] as Rational).add(a.mul(b));
      });
    });
    return new Poly(out);
  }
  pow(k: number): Poly {
    let out = Poly.of(1);
    for (let i = 0; i < k; i++) out = out.mul(this);
    return out;
  }
  derivative(): Poly {
    return new Poly(this.coef.slice(1).map((c, i) => c.mul(Rational.of(i + 1))));
  }
  /** Horner evaluation at `x`. */
  evaluate(x: Rational): Rational {
    let acc = Rational.ZERO;
    for (let i = this.coef.length - 1; i >= 0; i--) acc = acc.mul(x).add(this.coef[i] as Rational);
    return acc;
  }
  /** `this(inner(x))`. */
  compose(inner: Poly): Poly {
    let acc = new Poly([]);
    for (let i = this.coef.length - 1; i >= 0; i--)
      acc = acc.mul(inner).add(Poly.constant(this.coef[i] as Rational));
    return acc;
  }

  /** sympy-style text, highest degree first: `-15*m**3 + 3*m**2 - 189151`, `77*y**3/6 - y`. */
  toString(variable = 'x'): string {
    const terms: string[] = [];
    for (let k = this.degree; k >= 0; k--) {
      const c = this.at(k);
      if (c.isZero()) continue;
      const body = monomialText(c.abs(), k, variable);
      if (terms.length === 0) terms.push(c.sign() < 0 ? `-${body}` : body);
      else terms.push(c.sign() < 0 ? `- ${body}` : `+ ${body}`);
    }
    return terms.length === 0 ? '0' : terms.join(' ');
  }
}

/** `c*x**k` for c > 0 in sympy's notation (`x`, `3*x**2`, `x**3/2`, `5*x/6`, `7`). */
export function monomialText(c: Rational, k: number, variable: string): string {
  if (k === 0) return c.toString();
  const power = k === 1 ? variable : `${variable}**${k}`;
  const num = c.num === 1n ? power : `${c.num}*${power}`;
  return c.den === 1n ? num : `${num}/${c.den}`;
}
