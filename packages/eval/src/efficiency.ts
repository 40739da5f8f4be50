import { ProcptError } from '@procpt/core';

/** One evaluation of a run: semantic tokens seen so far and the validation loss there. */
export interface CurvePoint {
  tokens: number;
  loss: number;
}

/** Result of {@link tokensToTarget}. */
export interface DataEfficiency {
  /** The baseline's final validation loss: the target. */
  targetLoss: number;
  /** Semantic tokens the baseline trained on (its final point). */
  baselineTokens: number;
  /** Semantic tokens the run needs to reach the target (interpolated), or null if it never does. */
  tokens: number | null;
  /** `tokens / baselineTokens` (the paper's 55 / 67 / 86%), or null. */
  fraction: number | null;
  /** `baselineTokens - tokens`, or null. */
  saved: number | null;
}

function checkCurve(curve: readonly CurvePoint[], name: string): CurvePoint[] {
  if (curve.length === 0) throw new ProcptError('data', `${name} curve has no evaluation points`);
  for (const p of curve) {
    if (!Number.isFinite(p.tokens) || p.tokens < 0 || !Number.isFinite(p.loss)) {
      throw new ProcptError('data', `${name} curve has a bad point ${JSON.stringify(p)}`, {
        hint: 'every point needs finite tokens ≥ 0 and a finite loss',
      });
    }
  }
  return [...curve].sort((a, b) => a.tokens - b.tokens);
}

/**
 * Tokens at which `curve` first reaches `target` (loss ≤ target), linearly interpolated between the two
 * evaluations that bracket the crossing; null if it never does. A curve already below the target at its
 * first evaluation returns that evaluation's tokens (nothing earlier was measured).
 */
export function tokensToLoss(curve: readonly CurvePoint[], target: number): number | null {
  const points = checkCurve(curve, 'run');
  let prev: CurvePoint | undefined;
  for (const p of points) {
    if (p.loss <= target) {
      if (prev === undefined || prev.loss === p.loss) return p.tokens;
      const t = (prev.loss - target) / (prev.loss - p.loss);
      return prev.tokens + t * (p.tokens - prev.tokens);
    }
    prev = p;
  }
  return null;
}

/**
 * Data efficiency of `run` against `baseline` (substitutive setting): the semantic tokens the run needs to
 * reach the baseline's final validation loss, and their fraction of the baseline's tokens.
 */
export function tokensToTarget(run: readonly CurvePoint[], baseline: readonly CurvePoint[]): DataEfficiency {
  const base = checkCurve(baseline, 'baseline');
  const last = base[base.length - 1] as CurvePoint;
  const tokens = tokensToLoss(run, last.loss);
  return {
    targetLoss: last.loss,
    baselineTokens: last.tokens,
    tokens,
    fraction: tokens === null || last.tokens === 0 ? null : tokens / last.tokens,
    saved: tokens === null ? null : last.tokens - tokens,
  };
}
