import { type Expr, bin, evalExpr, num } from './expr.js';
import { Rational } from './rational.js';
import type { MathRng } from './rng.js';
import { Retry, integer, splitEntropy } from './sampling.js';

type Op = '+' | '-' | '*' | '/';

/** Divisors of |n| (n ≠ 0, |n| < 2^53), by trial division. */
export function divisors(n: bigint): bigint[] {
  const m = n < 0n ? -n : n;
  const small: bigint[] = [];
  const large: bigint[] = [];
  for (let d = 1n; d * d <= m; d++) {
    if (m % d === 0n) {
      small.push(d);
      if (d * d !== m) large.push(m / d);
    }
  }
  return [...small, ...large.reverse()];
}

/**
 * A random binary expression over `leaves` integer leaves whose entropy shares sum to `entropy`,
 * with operators drawn from `ops`. A `/` whose right side is a leaf divides exactly when it can
 * (its leaf becomes a divisor of the left value), as the original keeps intermediate values tidy.
 */
export function randomExpression(rng: MathRng, entropy: number, leaves: number, ops: readonly Op[]): Expr {
  const shares = splitEntropy(rng, entropy, leaves);
  let next = 0;
  function build(count: number): Expr {
    if (count === 1) {
      const e = shares[next++] as number;
      return num(integer(rng, Math.max(e, 0.5)));
    }
    const leftCount = rng.range(1, count - 1);
    const op = rng.pick(ops);
    const left = build(leftCount);
    let right = build(count - leftCount);
    if (op === '/') {
      const leftValue = evalExpr(left);
      if (
        right.kind === 'num' &&
        leftValue.isInteger() &&
        leftValue.num !== 0n &&
        leftValue.abs().num < 10n ** 10n &&
        rng.chance(0.8)
      ) {
        const choices = divisors(leftValue.num).filter((d) => d <= 10n ** 6n);
        const d = rng.pick(choices);
        right = num(rng.chance(0.5) ? -d : d);
      } else if (evalExpr(right).isZero()) {
        right = num(rng.chance(0.5) ? -1 : 1);
      }
    }
    return bin(op, left, right);
  }
  const tree = build(leaves);
  try {
    evalExpr(tree);
  } catch {
    throw new Retry(); // a zero divisor deeper in the tree
  }
  return tree;
}

/** Exact value, or a retry when the tree divides by zero. */
export function safeValue(e: Expr): Rational {
  try {
    return evalExpr(e);
  } catch {
    throw new Retry();
  }
}

export { Rational };
