import { Poly } from './poly.js';
import { Rational } from './rational.js';

/** How a number leaf is written in a question. */
export type NumberStyle = 'plain' | 'decimal';

/** A question expression, kept unsimplified so it prints the way it was built. */
export type Expr =
  | { kind: 'num'; value: Rational; style: NumberStyle }
  | { kind: 'var'; name: string }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; left: Expr; right: Expr }
  | { kind: 'pow'; base: Expr; exponent: number }
  | { kind: 'neg'; arg: Expr };

export const num = (value: Rational | number | bigint, style: NumberStyle = 'plain'): Expr => ({
  kind: 'num',
  value: value instanceof Rational ? value : Rational.of(value),
  style,
});
export const variable = (name: string): Expr => ({ kind: 'var', name });
export const bin = (op: '+' | '-' | '*' | '/', left: Expr, right: Expr): Expr => ({
  kind: 'bin',
  op,
  left,
  right,
});
export const pow = (base: Expr, exponent: number): Expr => ({ kind: 'pow', base, exponent });
export const neg = (arg: Expr): Expr => ({ kind: 'neg', arg });

const PRECEDENCE = { '+': 1, '-': 1, '*': 2, '/': 2 } as const;

function leafText(value: Rational, style: NumberStyle): string {
  return style === 'decimal' ? value.toDecimal() : value.toString();
}

/**
 * Prints like the original dataset: `*`, `/`, `**` without spaces, ` + `/` - ` with spaces,
 * negative numbers written literally (`90 + -2993174489`, `1*-3`), the right operand of an
 * operator of the same precedence in parentheses, so the tree is visible.
 */
export function printExpr(e: Expr, parentPrecedence = 0, right = false): string {
  switch (e.kind) {
    case 'num': {
      const text = leafText(e.value, e.style);
      return e.value.den !== 1n && e.style === 'plain' && parentPrecedence >= 2 ? `(${text})` : text;
    }
    case 'var':
      return e.name;
    case 'neg':
      return `-${printExpr(e.arg, 2)}`;
    case 'pow': {
      const base = printExpr(e.base, 0);
      const wrapped =
        e.base.kind === 'var' ||
        (e.base.kind === 'num' && e.base.value.sign() >= 0 && e.base.value.isInteger())
          ? base
          : `(${base})`;
      return `${wrapped}**${e.exponent}`;
    }
    case 'bin': {
      const p = PRECEDENCE[e.op];
      const sep = p === 1 ? ` ${e.op} ` : e.op;
      const text = `${printExpr(e.left, p, false)}${sep}${printExpr(e.right, p, true)}`;
      return p < parentPrecedence || (right && p === parentPrecedence) ? `(${text})` : text;
    }
  }
}

/** Exact value of an expression with the given variable values. */
export function evalExpr(e: Expr, env: ReadonlyMap<string, Rational> = new Map()): Rational {
  switch (e.kind) {
    case 'num':
      return e.value;
    case 'var': {
      const v = env.get(e.name);
      if (v === undefined) throw new RangeError(`unbound variable ${e.name}`);
      return v;
    }
    case 'neg':
      return evalExpr(e.arg, env).neg();
    case 'pow':
      return evalExpr(e.base, env).pow(e.exponent);
    case 'bin': {
      const a = evalExpr(e.left, env);
      const b = evalExpr(e.right, env);
      return e.op === '+' ? a.add(b) : e.op === '-' ? a.sub(b) : e.op === '*' ? a.mul(b) : a.div(b);
    }
  }
}

/** The expression as a polynomial in `name` (division only by constants). */
export function exprToPoly(e: Expr, name: string): Poly {
  switch (e.kind) {
    case 'num':
      return Poly.constant(e.value);
    case 'var':
      if (e.name !== name) throw new RangeError(`unexpected variable ${e.name}`);
      return Poly.monomial(Rational.ONE, 1);
    case 'neg':
      return exprToPoly(e.arg, name).scale(Rational.of(-1));
    case 'pow':
      return exprToPoly(e.base, name).pow(e.exponent);
    case 'bin': {
      const a = exprToPoly(e.left, name);
      const b = exprToPoly(e.right, name);
      if (e.op === '+') return a.add(b);
      if (e.op === '-') return a.sub(b);
      if (e.op === '*') return a.mul(b);
      if (b.degree > 0) throw new RangeError('division by a non-constant');
      return a.scale(Rational.ONE.div(b.at(0)));
    }
  }
}

/** A term `c*x**k` as an expression (c ≠ 0 integer or rational, printed sympy-style). */
export function termExpr(c: Rational, k: number, name: string): Expr {
  if (k === 0) return num(c);
  const power = k === 1 ? variable(name) : pow(variable(name), k);
  if (c.eq(Rational.ONE)) return power;
  if (c.eq(Rational.of(-1))) return neg(power);
  if (!c.isInteger()) return bin('/', c.num === 1n ? power : bin('*', num(c.num), power), num(c.den));
  return bin('*', num(c), power);
}

/**
 * A sum of (coefficient, degree) terms written as `a - b + c` (negative terms after the first
 * are subtracted, so no `+ -`).
 */
export function sumOfTerms(terms: readonly (readonly [Rational, number])[], name: string): Expr {
  let acc: Expr | undefined;
  for (const [c, k] of terms) {
    if (acc === undefined) acc = termExpr(c, k, name);
    else if (c.sign() < 0) acc = bin('-', acc, termExpr(c.neg(), k, name));
    else acc = bin('+', acc, termExpr(c, k, name));
  }
  return acc ?? num(0);
}

/** The polynomial written as a sum of its terms, highest degree first (or in `order`). */
export function polyExpr(p: Poly, name: string): Expr {
  const terms: [Rational, number][] = [];
  for (let k = p.degree; k >= 0; k--) if (!p.at(k).isZero()) terms.push([p.at(k), k]);
  return sumOfTerms(terms, name);
}
