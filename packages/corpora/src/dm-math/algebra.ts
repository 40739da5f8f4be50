import { type Expr, bin, num, printExpr, variable } from './expr.js';
import { Poly } from './poly.js';
import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { Retry, integer, letter, letters, list, nonZeroInteger, splitEntropy } from './sampling.js';

type Term = readonly [Rational, string | null];

/** Terms `c*name` / constants joined as a sum; an empty side is `0`. */
function side(terms: readonly Term[]): Expr {
  let acc: Expr | undefined;
  for (const [c, name] of terms) {
    const pos = c.abs();
    const body: Expr =
      name === null ? num(pos) : pos.eq(Rational.ONE) ? variable(name) : bin('*', num(pos), variable(name));
    if (acc === undefined) acc = c.sign() < 0 ? (name === null ? num(c) : { kind: 'neg', arg: body }) : body;
    else acc = bin(c.sign() < 0 ? '-' : '+', acc, body);
  }
  return acc ?? num(0);
}

/**
 * Writes `Σ terms = 0` as an equation with every term on a random side (moved terms change sign),
 * shuffled, never with an empty left side.
 */
function equation(rng: ModuleContext['rng'], terms: readonly Term[]): string {
  const left: Term[] = [];
  const right: Term[] = [];
  for (const t of rng.shuffled(terms.filter(([c]) => !c.isZero()))) (rng.chance(0.5) ? left : right).push(t);
  if (left.length === 0) left.push(right.pop() as Term);
  // Σ left + Σ right = 0  ⇔  Σ left = Σ (−right)
  const moved = right.map(([c, name]): Term => [c.neg(), name]);
  return `${printExpr(side(left))} = ${printExpr(side(moved))}`;
}

/** `algebra__linear_1d`: solve a*x + b = c*x + d (integer solution). */
export function linear1d(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const x = letter(rng);
  const [es, ea, eb] = splitEntropy(rng, ctx.entropy, 3) as [number, number, number];
  const solution = integer(rng, es);
  const a = nonZeroInteger(rng, ea);
  const b = integer(rng, eb);
  // a·x + b·(split over sides) — the x terms may be split into two coefficients as well
  const split = rng.chance(0.5) ? nonZeroInteger(rng, ea) : 0n;
  const terms: Term[] = [
    [Rational.of(a + split), x],
    [Rational.of(-split), x],
    [Rational.of(b), null],
    [Rational.of(-(a * solution) - b), null],
  ];
  return { question: `Solve ${equation(rng, terms)} for ${x}.`, answer: solution.toString() };
}

/** `algebra__linear_2d`: two linear equations in two unknowns; give one of them. */
export function linear2d(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [p, q] = letters(rng, 2) as [string, string];
  const [es, ec] = splitEntropy(rng, ctx.entropy, 2) as [number, number];
  const xs = [integer(rng, es / 2), integer(rng, es / 2)] as const;
  const coefficients = () => [nonZeroInteger(rng, ec / 4), integer(rng, ec / 4)] as const;
  const [a1, b1] = coefficients();
  const [b2, a2] = coefficients();
  if (a1 * b2 - a2 * b1 === 0n) throw new Retry();
  const eq = (a: bigint, b: bigint) =>
    equation(rng, [
      [Rational.of(a), p],
      [Rational.of(b), q],
      [Rational.of(-(a * xs[0] + b * xs[1])), null],
    ]);
  const askFirst = rng.chance(0.5);
  return {
    question: `Solve ${eq(a1, b1)}, ${eq(a2, b2)} for ${askFirst ? p : q}.`,
    answer: (askFirst ? xs[0] : xs[1]).toString(),
  };
}

/** Root p/q as its factor q*x - p (q > 0, coprime). */
function linearFactor(root: Rational): Poly {
  return new Poly([root.num === 0n ? Rational.ZERO : Rational.of(-root.num), Rational.of(root.den)]);
}

function factorText(lead: bigint, roots: readonly Rational[], x: string): string {
  const counts = new Map<string, { root: Rational; n: number }>();
  for (const r of roots) {
    const entry = counts.get(r.toString());
    if (entry) entry.n++;
    else counts.set(r.toString(), { root: r, n: 1 });
  }
  // sympy's order: the bare variable first, then by leading coefficient, then by constant term
  const factors = [...counts.values()]
    .sort((a, b) =>
      a.root.isZero()
        ? -1
        : b.root.isZero()
          ? 1
          : a.root.den !== b.root.den
            ? a.root.den < b.root.den
              ? -1
              : 1
            : b.root.cmp(a.root),
    )
    .map(({ root, n }) => {
      const text = root.isZero() ? x : `(${linearFactor(root).toString(x)})`;
      return n === 1 ? text : `${text}**${n}`;
    });
  const prefix = lead === 1n ? '' : lead === -1n ? '-' : `${lead}*`;
  return prefix + factors.join('*');
}

/** `algebra__polynomial_roots` (and `_big`): roots of a product of rational linear factors, or its factorisation. */
export function polynomialRoots(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const x = letter(rng);
  const count = ctx.stretch ? rng.range(3, 4) : rng.range(1, ctx.entropy > 6 ? 3 : 2);
  const shares = splitEntropy(rng, ctx.entropy, count + 1);
  const roots: Rational[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && rng.chance(0.2)) {
      roots.push(roots[rng.int(roots.length)] as Rational); // repeated root
      continue;
    }
    const q = rng.chance(0.75) ? 1n : nonZeroInteger(rng, 1, false, true);
    roots.push(new Rational(integer(rng, (shares[i] as number) * 0.8), q));
  }
  const lead = nonZeroInteger(rng, Math.min(shares[count] as number, 2));
  let poly = Poly.of(lead);
  for (const r of roots) poly = poly.mul(linearFactor(r));
  const distinct = [...new Map(roots.map((r) => [r.toString(), r])).values()].sort((a, b) => a.cmp(b));
  if (ctx.stretch || (count >= 2 && rng.chance(0.25))) {
    return { question: `Factor ${poly.toString(x)}.`, answer: factorText(lead, roots, x) };
  }
  const eqn = `${poly.toString(x)} = 0`;
  const question = rng.pick([
    `Suppose ${eqn}. Calculate ${x}.`,
    `Find ${x}, given that ${eqn}.`,
    `Solve ${eqn} for ${x}.`,
    `Determine ${x} so that ${eqn}.`,
    `What is ${x} in ${eqn}?`,
    `Let ${eqn}. What is ${x}?`,
  ]);
  return { question, answer: list(distinct.map((r) => r.toString())) };
}

function sequencePoly(ctx: ModuleContext): { poly: Poly; terms: number } {
  const { rng } = ctx;
  const degree = rng.range(1, ctx.entropy > 5 ? 3 : 2);
  const shares = splitEntropy(rng, ctx.entropy, degree + 1);
  const coef = shares.map((e, k) => (k === degree ? nonZeroInteger(rng, e * 0.6) : integer(rng, e * 0.8)));
  const terms = rng.range(Math.max(4, degree + 3), degree + 5);
  return { poly: Poly.of(...coef), terms };
}

function sequenceValues(poly: Poly, count: number): string[] {
  return Array.from({ length: count }, (_, i) => poly.evaluate(Rational.of(i + 1)).toString());
}

/** `algebra__sequence_next_term`: the next value of a polynomial sequence. */
export function sequenceNextTerm(ctx: ModuleContext): MathProblem {
  const { poly, terms } = sequencePoly(ctx);
  const shown = list(sequenceValues(poly, terms));
  const question = ctx.rng.pick([
    `What is the next term in ${shown}?`,
    `What comes next: ${shown}?`,
    `What is next in ${shown}?`,
  ]);
  return { question, answer: poly.evaluate(Rational.of(terms + 1)).toString() };
}

/** `algebra__sequence_nth_term`: the formula of a polynomial sequence, in a named index. */
export function sequenceNthTerm(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const { poly, terms } = sequencePoly(ctx);
  const n = letter(rng);
  const shown = list(sequenceValues(poly, terms));
  const question = rng.pick([
    `What is the ${n}'th term of ${shown}?`,
    `What is the ${n}th term of ${shown}?`,
  ]);
  return { question, answer: poly.toString(n) };
}
