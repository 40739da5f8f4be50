import * as tf from '@tensorflow/tfjs-core';

/** Deterministic uniform values in [lo, hi) from a 32-bit LCG (tests only; never Math.random). */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}

/** A tensor of `shape` with seeded uniform values in [lo, hi) (see {@link randomValues}). */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

/** Deterministic int32 values in [0, max). */
export function randomInts(n: number, seed: number, max: number): Int32Array {
  return Int32Array.from(randomValues(n, seed, 0, 1), (x) => Math.min(max - 1, Math.floor(x * max)));
}

/**
 * Largest violation of |a − b| ≤ 1e-4 · (|b| + rms(b)) (relative error, with the tensor's own scale as the
 * floor so that entries that cancel to ~0 are judged against the magnitude of the result).
 */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let ss = 0;
  for (let i = 0; i < b.length; i++) ss += b[i]! * b[i]!;
  const rms = Math.sqrt(ss / Math.max(1, b.length)) || 1e-30;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / (Math.abs(b[i]!) + rms);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
  }
  return worst;
}

/** Runs `fn` on `backend` and returns every output's values (inputs are made inside `fn`). */
export async function onBackend(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose(outs);
  return values;
}
