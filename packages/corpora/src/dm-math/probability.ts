import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { NUMBER_WORDS, Retry, inSplit, letters } from './sampling.js';

interface Bag {
  counts: Map<string, number>;
  text: string;
  total: number;
}

/** A bag of letters, written as a shuffled string or as `{h: 3, f: 1}`. */
function bag(ctx: ModuleContext): Bag {
  const { rng } = ctx;
  const kinds = rng.range(1, Math.min(6, 1 + Math.ceil(ctx.entropy / 2)));
  const names = letters(rng, kinds);
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, rng.range(1, Math.max(1, Math.min(8, Math.round(ctx.entropy)))));
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  // keep train and test bags disjoint, as the original does, by the parity of the sorted counts
  const key = [...counts.values()].sort((a, b) => a - b).join(',');
  if (!inSplit(key, ctx.split) || total < 2 || total > 20) throw new Retry();
  const asString = ctx.rng.chance(0.5);
  const text = asString
    ? rng.shuffled([...counts].flatMap(([n, c]) => Array<string>(c).fill(n))).join('')
    : `{${[...counts].map(([n, c]) => `${n}: ${c}`).join(', ')}}`;
  return { counts, text, total };
}

function sampleCount(ctx: ModuleContext, total: number): number {
  const k = ctx.stretch ? ctx.rng.range(4, 6) : ctx.rng.range(2, 3);
  if (k > total) throw new Retry();
  return k;
}

function draw(ctx: ModuleContext, b: Bag, k: number): string[] {
  const pool = [...b.counts].flatMap(([n, c]) => Array<string>(c).fill(n));
  return ctx.rng.shuffled(pool).slice(0, k);
}

function phrase(ctx: ModuleContext, k: number, b: Bag, what: string): string {
  const count = NUMBER_WORDS[k] as string;
  const picked = `${count} letters picked without replacement from ${b.text}`;
  const cap = `${count[0]?.toUpperCase()}${count.slice(1)} letters picked without replacement from ${b.text}.`;
  return ctx.rng.pick([
    `Calculate prob of ${what} when ${picked}.`,
    `What is prob of ${what} when ${picked}?`,
    `${cap} What is prob of ${what}?`,
    `${cap} Give prob of ${what}.`,
  ]);
}

/** `probability__swr_p_sequence` (and `_more_samples`): probability of an ordered draw without replacement. */
export function swrSequence(ctx: ModuleContext): MathProblem {
  const b = bag(ctx);
  const k = sampleCount(ctx, b.total);
  const seq = draw(ctx, b, k);
  const left = new Map(b.counts);
  let p = Rational.ONE;
  let remaining = b.total;
  for (const s of seq) {
    const c = left.get(s) as number;
    p = p.mul(Rational.of(c, remaining));
    left.set(s, c - 1);
    remaining--;
  }
  return { question: phrase(ctx, k, b, `sequence ${seq.join('')}`), answer: p.toString() };
}

function binomial(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}

/** `probability__swr_p_level_set` (and `_more_samples`): probability of a multiset of letters. */
export function swrLevelSet(ctx: ModuleContext): MathProblem {
  const b = bag(ctx);
  const k = sampleCount(ctx, b.total);
  const seq = draw(ctx, b, k);
  const wanted = new Map<string, number>();
  for (const s of seq) wanted.set(s, (wanted.get(s) ?? 0) + 1);
  let ways = 1n;
  for (const [n, c] of wanted) ways *= binomial(b.counts.get(n) as number, c);
  const p = new Rational(ways, binomial(b.total, k));
  const parts = ctx.rng.shuffled([...wanted]).map(([n, c]) => `${c} ${n}`);
  const what =
    parts.length === 1
      ? `picking ${parts[0]}`
      : `picking ${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
  return { question: phrase(ctx, k, b, what), answer: p.toString() };
}
