/**
 * Counter-based seeds for the trainer's randomness (dropout masks): the seed of micro-batch
 * `micro` of step `step` is a pure hash of (runSeed, step, micro). There is no mutable RNG whose
 * state could drift, so a resumed run draws exactly the masks the uninterrupted run would have
 * (the checkpoint records the scheme and seed as its RNG state).
 */
export function dropoutSeed(runSeed: number, step: number, micro: number): number {
  let h = mix(0x9e3779b9 ^ (runSeed >>> 0));
  h = mix(h ^ Math.imul(step >>> 0, 0x85ebca6b));
  h = mix(h ^ Math.imul((step / 0x100000000) >>> 0, 0xc2b2ae35));
  h = mix(h ^ Math.imul(micro >>> 0, 0x27d4eb2f));
  return h >>> 0;
}

/** The RNG state string stored in checkpoints for {@link dropoutSeed}. */
export function rngState(runSeed: number): string {
  return `counter-murmur3:${runSeed >>> 0}`;
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
