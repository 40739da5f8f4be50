import { type Expr, bin, num, printExpr, variable } from './expr.js';
import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { Retry, decimal, integer, nonZeroInteger, splitEntropy } from './sampling.js';
import { randomExpression, safeValue } from './trees.js';

function operand(ctx: ModuleContext, entropy: number): Rational {
  return ctx.rng.chance(0.25) ? decimal(ctx.rng, entropy) : Rational.of(integer(ctx.rng, entropy));
}

/** Exact answer text: decimals stay decimals, other values `a/b`. */
export function valueText(v: Rational): string {
  return v.decimalPlaces() !== undefined ? v.toDecimal() : v.toString();
}

/** `arithmetic__add_or_sub`: one addition or subtraction of two numbers (integers or decimals). */
export function addOrSub(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [ea, eb] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const a = operand(ctx, ea);
  const b = operand(ctx, eb);
  const at = valueText(a);
  const bt = valueText(b);
  if (rng.chance(0.5)) {
    const q = rng.pick([
      `Add ${at} and ${bt}.`,
      `Sum ${at} and ${bt}.`,
      `What is ${at} plus ${bt}?`,
      `${at} + ${bt}`,
      `What is ${at} + ${bt}?`,
      `Calculate ${at} + ${bt}.`,
      `Put together ${at} and ${bt}.`,
      `Total of ${at} and ${bt}.`,
      `Work out ${at} + ${bt}.`,
      `What is the sum of ${at} and ${bt}?`,
    ]);
    return { question: q, answer: valueText(a.add(b)) };
  }
  if (rng.chance(0.15)) {
    return { question: `What is the difference between ${at} and ${bt}?`, answer: valueText(a.sub(b).abs()) };
  }
  const q = rng.pick([
    `What is ${at} minus ${bt}?`,
    `Subtract ${bt} from ${at}.`,
    `${at} - ${bt}`,
    `What is ${at} - ${bt}?`,
    `Calculate ${at} - ${bt}.`,
    `${at} take away ${bt}`,
    `How much is ${at} minus ${bt}?`,
    `Work out ${at} - ${bt}.`,
  ]);
  return { question: q, answer: valueText(a.sub(b)) };
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';

/** `n` written in `base` with lowercase digits (`-8c4362c`). */
export function toBase(n: bigint, base: number): string {
  if (n === 0n) return '0';
  const neg = n < 0n;
  let m = neg ? -n : n;
  const b = BigInt(base);
  let out = '';
  while (m > 0n) {
    out = DIGITS[Number(m % b)] + out;
    m /= b;
  }
  return neg ? `-${out}` : out;
}

/** `arithmetic__add_or_sub_in_base`: the same in base 2–16. */
export function addOrSubInBase(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const base = rng.pick([2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16]);
  const [ea, eb] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const a = integer(rng, ea);
  const b = integer(rng, eb);
  const op = rng.pick(['+', '-'] as const);
  const value = op === '+' ? a + b : a - b;
  return {
    question: `In base ${base}, what is ${toBase(a, base)} ${op} ${toBase(b, base)}?`,
    answer: toBase(value, base),
  };
}

function evaluateQuestion(ctx: ModuleContext, text: string): string {
  return ctx.rng.pick([
    `Calculate ${text}.`,
    `What is ${text}?`,
    `Evaluate ${text}.`,
    text,
    `What is the value of ${text}?`,
  ]);
}

function extraLeaves(ctx: ModuleContext): number {
  return ctx.stretch ? ctx.rng.range(1, 3) : 0;
}

/** `arithmetic__add_sub_multiple` (and `_longer`): several integers added and subtracted. */
export function addSubMultiple(ctx: ModuleContext): MathProblem {
  const leaves = ctx.rng.range(3, 6) + extraLeaves(ctx);
  const e = randomExpression(ctx.rng, ctx.entropy, leaves, ['+', '-']);
  return { question: evaluateQuestion(ctx, printExpr(e)), answer: safeValue(e).toString() };
}

/** `arithmetic__mixed` (and `_longer`): all four operations, exact (possibly fractional) result. */
export function mixed(ctx: ModuleContext): MathProblem {
  const leaves = ctx.rng.range(3, 5) + extraLeaves(ctx);
  const e = randomExpression(ctx.rng, ctx.entropy, leaves, ['+', '-', '*', '/']);
  return { question: evaluateQuestion(ctx, printExpr(e)), answer: safeValue(e).toString() };
}

/** `arithmetic__mul_div_multiple` (and `_longer`): products and quotients only. */
export function mulDivMultiple(ctx: ModuleContext): MathProblem {
  const leaves = ctx.rng.range(3, 5) + extraLeaves(ctx);
  const e = randomExpression(ctx.rng, ctx.entropy, leaves, ['*', '/']);
  return { question: evaluateQuestion(ctx, printExpr(e)), answer: safeValue(e).toString() };
}

/** `arithmetic__mul`: a product of two numbers. */
export function mul(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [ea, eb] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const a = operand(ctx, ea);
  const b = operand(ctx, eb);
  const at = valueText(a);
  const bt = valueText(b);
  const q = rng.pick([
    `What is ${at} times ${bt}?`,
    `Multiply ${at} and ${bt}.`,
    `Product of ${at} and ${bt}.`,
    `Calculate ${printExpr(bin('*', num(a, a.isInteger() ? 'plain' : 'decimal'), num(b, b.isInteger() ? 'plain' : 'decimal')))}.`,
    `${at} * ${bt}`,
    `What is the product of ${at} and ${bt}?`,
    `Work out ${at} * ${bt}.`,
  ]);
  return { question: q, answer: valueText(a.mul(b)) };
}

/** `arithmetic__div`: a quotient, usually exact, sometimes a fraction in lowest terms. */
export function div(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [eq, ed] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const d = nonZeroInteger(rng, Math.max(ed, 1));
  const a = rng.chance(0.7) ? integer(rng, eq) * d : integer(rng, ctx.entropy);
  const value = new Rational(a, d);
  const q = rng.pick([
    `What is ${a} divided by ${d}?`,
    `Divide ${a} by ${d}.`,
    `Calculate ${a} divided by ${d}.`,
    `${a} divided by ${d}`,
    `Calculate ${printExpr(bin('/', num(a), num(d)))}.`,
    `What is ${printExpr(bin('/', num(a), num(d)))}?`,
  ]);
  return { question: q, answer: value.toString() };
}

/** Floor of the k-th root of n ≥ 0, by binary search on bigints. */
export function integerRoot(n: bigint, k: number): bigint {
  let lo = 0n;
  let hi = 1n;
  const K = BigInt(k);
  while (hi ** K <= n) hi *= 2n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (mid ** K <= n) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** `arithmetic__nearest_integer_root`: the k-th root rounded to the nearest integer. */
export function nearestIntegerRoot(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const k = rng.chance(0.5) ? 2 : rng.chance(0.5) ? 3 : rng.range(4, 10);
  const n = integer(rng, ctx.entropy, false, 1n);
  const r = integerRoot(n, k);
  // nearest integer to n^(1/k): r + 1 iff n^(1/k) ≥ r + 1/2 ⇔ 2^k·n ≥ (2r + 1)^k
  const nearest = 2n ** BigInt(k) * n >= (2n * r + 1n) ** BigInt(k) ? r + 1n : r;
  const question =
    k === 2 && rng.chance(0.5)
      ? `What is the square root of ${n} to the nearest integer?`
      : k === 3 && rng.chance(0.5)
        ? `What is the cube root of ${n} to the nearest integer?`
        : `What is ${n} to the power of 1/${k}, to the nearest integer?`;
  return { question, answer: nearest.toString() };
}

/** a + b·sqrt(base), exact. */
interface Surd {
  a: Rational;
  b: Rational;
}

function surdOf(e: Expr, base: bigint): Surd {
  switch (e.kind) {
    case 'num':
      return { a: e.value, b: Rational.ZERO };
    case 'var': {
      // leaves `sqrt(k²·base)` = k·sqrt(base)
      const n = BigInt(e.name.slice(5, -1));
      const k = BigInt(Math.round(Math.sqrt(Number(n / base))));
      return { a: Rational.ZERO, b: Rational.of(k) };
    }
    case 'neg': {
      const s = surdOf(e.arg, base);
      return { a: s.a.neg(), b: s.b.neg() };
    }
    case 'pow': {
      let acc: Surd = { a: Rational.ONE, b: Rational.ZERO };
      const s = surdOf(e.base, base);
      for (let i = 0; i < e.exponent; i++) acc = surdMul(acc, s, base);
      return acc;
    }
    case 'bin': {
      const l = surdOf(e.left, base);
      const r = surdOf(e.right, base);
      if (e.op === '+') return { a: l.a.add(r.a), b: l.b.add(r.b) };
      if (e.op === '-') return { a: l.a.sub(r.a), b: l.b.sub(r.b) };
      if (e.op === '*') return surdMul(l, r, base);
      throw new RangeError('division in a surd expression');
    }
  }
}

function surdMul(x: Surd, y: Surd, base: bigint): Surd {
  const B = Rational.of(base);
  return { a: x.a.mul(y.a).add(x.b.mul(y.b).mul(B)), b: x.a.mul(y.b).add(x.b.mul(y.a)) };
}

/** sympy's text for a + b·sqrt(base): `-4137 - 1164*sqrt(3)`, `sqrt(2)`, `5`. */
export function surdText(s: Surd, base: bigint): string {
  const root = `sqrt(${base})`;
  const bAbs = s.b.abs();
  const bTerm = bAbs.eq(Rational.ONE) ? root : `${bAbs}*${root}`;
  if (s.b.isZero()) return s.a.toString();
  if (s.a.isZero()) return s.b.sign() < 0 ? `-${bTerm}` : bTerm;
  return `${s.a} ${s.b.sign() < 0 ? '-' : '+'} ${bTerm}`;
}

/** `arithmetic__simplify_surd`: a sum/product of multiples of one square root, simplified. */
export function simplifySurd(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const base = BigInt(rng.pick([2, 3, 5, 6, 7, 10, 11, 13]));
  const sqrtLeaf = (): Expr => variable(`sqrt(${base * BigInt(rng.range(1, 12)) ** 2n})`);
  const leaf = (): Expr => (rng.chance(0.6) ? sqrtLeaf() : num(nonZeroInteger(rng, 0.8)));
  const leaves = rng.range(2, 2 + Math.floor(ctx.entropy / 3));
  function build(count: number): Expr {
    if (count === 1) return leaf();
    const left = rng.range(1, count - 1);
    const op = rng.pick(['+', '-', '*'] as const);
    let e: Expr = bin(op, build(left), build(count - left));
    if (rng.chance(0.15)) e = { kind: 'pow', base: e, exponent: 2 };
    return e;
  }
  let e = build(leaves);
  if (!printExpr(e).includes('sqrt')) e = bin('+', e, sqrtLeaf());
  const value = surdOf(e, base);
  if (value.b.isZero()) throw new Retry();
  return { question: `Simplify ${printExpr(e)}.`, answer: surdText(value, base) };
}
