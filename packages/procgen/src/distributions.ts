import type { Rng } from './rng.js';

/** A standard normal draw (Box–Muller on two 53-bit uniforms). */
export function normal(rng: Rng): number {
  const u = 1 - rng.nextFloat(); // (0, 1]: log stays finite
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * log of a Gamma(alpha, 1) draw. Marsaglia & Tsang (2000) for alpha ≥ 1; for alpha < 1 the boost
 * G(alpha) = G(alpha + 1) · U^(1/alpha), kept in log space because U^(1/alpha) underflows to 0 for
 * small alpha (alpha = 0.1 needs U^10).
 */
export function logGamma(rng: Rng, alpha: number): number {
  if (alpha < 1) {
    const u = 1 - rng.nextFloat();
    return logGamma(rng, alpha + 1) + Math.log(u) / alpha;
  }
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.nextFloat();
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return Math.log(d * v);
    if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** A Gamma(alpha, 1) draw (may be 0 after underflow for tiny alpha; use {@link logGamma} then). */
export function gamma(rng: Rng, alpha: number): number {
  return Math.exp(logGamma(rng, alpha));
}

/**
 * A Dirichlet(alpha, …, alpha) draw over `n` categories, written to `out`: normalised Gamma draws,
 * normalised in log space (subtract the max) so that sparse draws (alpha = 0.1) never divide by 0.
 */
export function dirichlet(rng: Rng, alpha: number, out: Float64Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < out.length; i++) {
    const g = logGamma(rng, alpha);
    out[i] = g;
    if (g > max) max = g;
  }
  let sum = 0;
  for (let i = 0; i < out.length; i++) {
    const e = Math.exp((out[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/**
 * Walker/Vose alias table of one distribution: draw column j uniformly, keep it when a uniform
 * 32-bit word is below `threshold[j]`, else take `alias[j]`. O(1) per draw.
 */
export function aliasTable(
  probs: ArrayLike<number>,
  threshold: Float64Array,
  alias: Int32Array,
  offset = 0,
): void {
  const n = probs.length;
  const scaled = new Float64Array(n);
  const small: number[] = [];
  const large: number[] = [];
  for (let i = 0; i < n; i++) {
    scaled[i] = (probs[i] as number) * n;
    ((scaled[i] as number) < 1 ? small : large).push(i);
  }
  while (small.length > 0 && large.length > 0) {
    const s = small.pop() as number;
    const l = large[large.length - 1] as number;
    threshold[offset + s] = (scaled[s] as number) * 4294967296;
    alias[offset + s] = l;
    scaled[l] = (scaled[l] as number) + (scaled[s] as number) - 1;
    if ((scaled[l] as number) < 1) small.push(large.pop() as number);
  }
  // Leftovers are 1 up to rounding: always keep them.
  for (const i of [...small, ...large]) {
    threshold[offset + i] = 4294967296;
    alias[offset + i] = i;
  }
}
