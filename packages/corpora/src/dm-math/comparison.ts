import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { ORDINALS, Retry, decimal, fraction, integer, list, splitEntropy } from './sampling.js';

interface Shown {
  value: Rational;
  text: string;
}

/** One comparable value: an integer, a decimal or a fraction, with its question text. */
function value(ctx: ModuleContext, entropy: number): Shown {
  const kind = ctx.rng.int(3);
  if (kind === 0) {
    const v = Rational.of(integer(ctx.rng, entropy));
    return { value: v, text: v.toString() };
  }
  if (kind === 1) {
    const v = decimal(ctx.rng, Math.max(entropy, 1));
    return { value: v, text: v.toDecimal() };
  }
  const v = fraction(ctx.rng, Math.max(entropy, 1.5));
  return { value: v, text: v.toString() };
}

/** `count` values with distinct magnitudes (a retry otherwise). */
function distinctValues(ctx: ModuleContext, count: number): Shown[] {
  if (ctx.stretch) {
    // many items: small distinct integers, as in the original's `_more` files
    const pool = ctx.rng.shuffled(Array.from({ length: 199 }, (_, i) => i - 99));
    const small = pool.filter((v) => Math.abs(v) < 10 || ctx.rng.chance(0.3)).slice(0, count);
    return small.map((v) => ({ value: Rational.of(v), text: String(v) }));
  }
  const shares = splitEntropy(ctx.rng, ctx.entropy + count, count);
  const out = shares.map((e) => value(ctx, Math.min(e, 6)));
  const seen = new Set(out.map((s) => s.value.toString()));
  if (seen.size !== out.length) throw new Retry();
  return out;
}

const bool = (b: boolean): string => (b ? 'True' : 'False');

/** `comparison__pair`: compare two numbers (which is bigger, or a True/False relation). */
export function pair(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [a, b] = distinctValues(ctx, 2) as [Shown, Shown];
  // equality questions sometimes compare a value with itself
  const c = rng.chance(0.2) ? a : b;
  const cmp = a.value.cmp(c.value);
  const kind = rng.int(4);
  if (kind === 0) {
    const bigger = a.value.cmp(b.value) > 0 ? a : b;
    const smaller = bigger === a ? b : a;
    const askBig = rng.chance(0.5);
    const word = askBig ? rng.pick(['greater', 'bigger']) : rng.pick(['smaller', 'less']);
    return {
      question: `Which is ${word}: ${a.text} or ${b.text}?`,
      answer: (askBig ? bigger : smaller).text,
    };
  }
  const relations: [string, boolean][] = [
    [`Is ${a.text} less than ${c.text}?`, cmp < 0],
    [`Is ${a.text} greater than ${c.text}?`, cmp > 0],
    [`Is ${a.text} bigger than ${c.text}?`, cmp > 0],
    [`Is ${a.text} smaller than ${c.text}?`, cmp < 0],
    [`Is ${a.text} at least ${c.text}?`, cmp >= 0],
    [`Is ${a.text} at most ${c.text}?`, cmp <= 0],
    [`Is ${a.text} != ${c.text}?`, cmp !== 0],
    [`Are ${a.text} and ${c.text} equal?`, cmp === 0],
    [`Are ${a.text} and ${c.text} unequal?`, cmp !== 0],
    [`Is ${a.text} <= ${c.text}?`, cmp <= 0],
    [`Is ${a.text} >= ${c.text}?`, cmp >= 0],
    [`Is ${a.text} < ${c.text}?`, cmp < 0],
    [`Is ${a.text} > ${c.text}?`, cmp > 0],
  ];
  const [question, answer] = rng.pick(relations);
  return { question, answer: bool(answer) };
}

function itemCount(ctx: ModuleContext): number {
  return ctx.stretch ? ctx.rng.range(7, 10) : ctx.rng.range(3, 6);
}

/** `comparison__sort` (and `_more`): sort numbers ascending or descending. */
export function sort(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const items = distinctValues(ctx, itemCount(ctx));
  const shown = list(items.map((s) => s.text));
  const descending = rng.chance(0.5);
  const sorted = items.slice().sort((x, y) => (descending ? y.value.cmp(x.value) : x.value.cmp(y.value)));
  const question = descending
    ? rng.pick([`Sort ${shown} in decreasing order.`, `Put ${shown} in descending order.`])
    : rng.pick([`Sort ${shown} in increasing order.`, `Put ${shown} in ascending order.`, `Sort ${shown}.`]);
  return { question, answer: list(sorted.map((s) => s.text)) };
}

/** `comparison__kth_biggest` (and `_more`): the k-th biggest or smallest of a list. */
export function kthBiggest(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const items = distinctValues(ctx, itemCount(ctx));
  const k = rng.range(1, items.length);
  const biggest = rng.chance(0.5);
  const sorted = items.slice().sort((x, y) => (biggest ? y.value.cmp(x.value) : x.value.cmp(y.value)));
  const adjective = biggest ? 'biggest' : 'smallest';
  const which = k === 1 ? adjective : `${ORDINALS[k]} ${adjective}`;
  const shown = list(items.map((s) => s.text));
  const question = rng.pick([
    `What is the ${which} value in ${shown}?`,
    `Which is the ${which} value in ${shown}?`,
  ]);
  return { question, answer: (sorted[k - 1] as Shown).text };
}

/** `comparison__closest` (and `_more`): the list item nearest a target, by value or by letter. */
export function closest(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const [target, ...items] = distinctValues(ctx, itemCount(ctx) + 1) as [Shown, ...Shown[]];
  const distances = items.map((s) => s.value.sub(target.value).abs());
  const best = distances.reduce((bi, d, i) => (d.cmp(distances[bi] as Rational) < 0 ? i : bi), 0);
  if (distances.filter((d) => d.eq(distances[best] as Rational)).length > 1) throw new Retry();
  const nearest = rng.pick(['nearest', 'closest']);
  if (ctx.stretch || rng.chance(0.4)) {
    const options = items.map((s, i) => `(${String.fromCharCode(97 + i)}) ${s.text}`).join('  ');
    return {
      question: `Which is the ${nearest} to ${target.text}?  ${options}`,
      answer: String.fromCharCode(97 + best),
    };
  }
  const shown = list(items.map((s) => s.text));
  const question = rng.pick([
    `What is the ${nearest} to ${target.text} in ${shown}?`,
    `Which is the ${nearest} to ${target.text} in ${shown}?`,
  ]);
  return { question, answer: (items[best] as Shown).text };
}
