import { type Expr, bin, exprToPoly, polyExpr, printExpr, sumOfTerms } from './expr.js';
import { Poly } from './poly.js';
import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { ORDINALS, Retry, integer, letter, letters, nonZeroInteger, splitEntropy } from './sampling.js';

/** A sparse integer polynomial: `terms` distinct degrees ≤ maxDegree, the entropy spread over coefficients. */
function randomPoly(ctx: ModuleContext, maxDegree: number, entropy: number, minDegree = 0): Poly {
  const { rng } = ctx;
  const degree = rng.range(Math.max(1, minDegree), maxDegree);
  const others = rng.shuffled(Array.from({ length: degree }, (_, k) => k)).slice(0, rng.range(0, degree));
  const degrees = [degree, ...others];
  const shares = splitEntropy(rng, entropy, degrees.length);
  const coef: bigint[] = new Array(degree + 1).fill(0n);
  degrees.forEach((k, i) => {
    coef[k] = nonZeroInteger(rng, Math.min(shares[i] as number, 4));
  });
  return Poly.of(...coef);
}

function functionCall(name: string, arg: string): string {
  return `${name}(${arg})`;
}

/** `polynomials__evaluate`: a polynomial function at an integer. */
export function evaluate(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [f, x] = letters(rng, 2) as [string, string];
  const [ep, ev] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const poly = randomPoly(ctx, 3, ep);
  const at = integer(rng, Math.min(ev, 1.5));
  const def = `Let ${functionCall(f, x)} = ${poly.toString(x)}.`;
  const call = functionCall(f, at.toString());
  const ask = rng.pick([`What is ${call}?`, `Calculate ${call}.`, `Give ${call}.`, `Determine ${call}.`]);
  return { question: `${def} ${ask}`, answer: poly.evaluate(Rational.of(at)).toString() };
}

/** A messy, unsimplified sum whose value is the polynomial: each coefficient split into several terms. */
function messySum(ctx: ModuleContext, poly: Poly, x: string): Expr {
  const { rng } = ctx;
  const terms: [Rational, number][] = [];
  for (let k = 0; k <= poly.degree; k++) {
    const c = poly.at(k);
    if (c.isZero() && !rng.chance(0.15)) continue;
    const parts = rng.range(1, 3);
    let rest = c;
    for (let i = 1; i < parts; i++) {
      const piece = Rational.of(nonZeroInteger(rng, 1.5 + Math.min(ctx.entropy / 4, 2)));
      terms.push([piece, k]);
      rest = rest.sub(piece);
    }
    if (!rest.isZero()) terms.push([rest, k]);
  }
  if (terms.length === 0) terms.push([poly.at(0), 0]);
  return sumOfTerms(rng.shuffled(terms), x);
}

/** `polynomials__collect`: collect like terms of an unsimplified sum. */
export function collect(ctx: ModuleContext): MathProblem {
  const x = letter(ctx.rng);
  const poly = randomPoly(ctx, 3, ctx.entropy);
  const e = messySum(ctx, poly, x);
  const simplified = exprToPoly(e, x);
  if (simplified.isZero()) throw new Retry();
  return { question: `Collect the terms in ${printExpr(e)}.`, answer: simplified.toString(x) };
}

/** `polynomials__expand`: expand a product of small polynomials. */
export function expand(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const x = letter(rng);
  const factors = rng.range(2, ctx.entropy > 6 ? 3 : 2);
  const shares = splitEntropy(rng, ctx.entropy, factors);
  let e: Expr | undefined;
  for (const share of shares) {
    const p = randomPoly(ctx, rng.chance(0.7) ? 1 : 2, Math.min(share, 3));
    const factor = rng.chance(0.3) ? messySum(ctx, p, x) : polyExpr(p, x);
    e = e === undefined ? factor : bin('*', e, factor);
  }
  if (e === undefined) throw new Retry();
  if (rng.chance(0.3)) e = bin(rng.pick(['+', '-'] as const), e, polyExpr(randomPoly(ctx, 2, 2), x));
  const poly = exprToPoly(e, x);
  if (poly.isZero() || printExpr(e) === poly.toString(x)) throw new Retry();
  return { question: `Expand ${printExpr(e)}.`, answer: poly.toString(x) };
}

function scaled(c: bigint, call: string, first: boolean): string {
  const abs = c < 0n ? -c : c;
  const body = abs === 1n ? call : `${abs}*${call}`;
  if (first) return c < 0n ? `-${body}` : body;
  return c < 0n ? ` - ${body}` : ` + ${body}`;
}

/** `polynomials__add`: a linear combination of two named polynomial functions. */
export function add(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [f, g, x, y, z] = letters(rng, 5) as [string, string, string, string, string];
  const [e1, e2, e3] = splitEntropy(rng, ctx.entropy, 3) as [number, number, number];
  const p = randomPoly(ctx, 3, e1);
  const q = rng.chance(0.5)
    ? p.scale(Rational.of(nonZeroInteger(rng, 0.7))).add(randomPoly(ctx, 1, 1))
    : randomPoly(ctx, 3, e2);
  const a = nonZeroInteger(rng, Math.min(e3, 1));
  const b = nonZeroInteger(rng, Math.min(e3, 1));
  const combo = scaled(a, functionCall(f, z), true) + scaled(b, functionCall(g, z), false);
  const result = p.scale(Rational.of(a)).add(q.scale(Rational.of(b)));
  const defs = `Let ${functionCall(f, x)} = ${p.toString(x)}. Let ${functionCall(g, y)} = ${q.toString(y)}.`;
  const ask = rng.pick([`Give ${combo}.`, `What is ${combo}?`, `Calculate ${combo}.`, `Determine ${combo}.`]);
  return { question: `${defs} ${ask}`, answer: result.toString(z) };
}

/** `calculus__differentiate`: first, second or third derivative of a polynomial. */
export function differentiate(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const x = letter(rng);
  const order = rng.range(1, 3);
  const poly = randomPoly(ctx, Math.min(6, order + 3), ctx.entropy, order);
  let d = poly;
  for (let i = 0; i < order; i++) d = d.derivative();
  if (d.isZero()) throw new Retry();
  const p = poly.toString(x);
  const nth = ORDINALS[order] as string;
  const question =
    order === 1
      ? rng.pick([
          `Differentiate ${p} with respect to ${x}.`,
          `What is the derivative of ${p}?`,
          `Find the first derivative of ${p} wrt ${x}.`,
          `Differentiate ${p}.`,
        ])
      : rng.pick([
          `Find the ${nth} derivative of ${p}.`,
          `What is the ${nth} derivative of ${p} wrt ${x}?`,
          `Find the ${nth} derivative of ${p} wrt ${x}.`,
        ]);
  return { question, answer: d.toString(x) };
}
