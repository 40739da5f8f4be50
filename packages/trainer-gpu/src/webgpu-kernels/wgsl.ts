// WGSL snippets shared by the fused kernels: procpt-native's attention-dropout hash (splitmix64 in 32-bit
// halves: WGSL has no u64) and its tanh.

/**
 * `dropKeep(rowBase, j)`: the keep multiplier (`u.invKeep` or 0) of attention probability (row, j), where
 * `rowBase = (b·H + h)·T + i`. Bit for bit procpt-native's `DropRow::fill`: the flat index
 * `rowBase·T + j` (64-bit), hashed as `mix64(key + (index + 1)·golden)`, kept iff the top 32 bits are
 * `>= u.threshold`. Needs uniforms `T`, `keyLo`, `keyHi`, `threshold`, `invKeep`.
 */
export const DROPOUT_WGSL = /* wgsl */ `
fn mul32(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}
// low 64 bits of a·b; x is the low word, y the high word
fn mul64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p = mul32(a.x, b.x);
  return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}
fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
// z ^ (z >> n) for 0 < n < 32
fn xorShr64(z: vec2<u32>, n: u32) -> vec2<u32> {
  return vec2<u32>(z.x ^ ((z.x >> n) | (z.y << (32u - n))), z.y ^ (z.y >> n));
}
fn mix64(z0: vec2<u32>) -> vec2<u32> {
  let z1 = mul64(xorShr64(z0, 30u), vec2<u32>(0x1CE4E5B9u, 0xBF58476Du));
  let z2 = mul64(xorShr64(z1, 27u), vec2<u32>(0x133111EBu, 0x94D049BBu));
  return xorShr64(z2, 31u);
}
fn dropKeep(rowBase: u32, j: u32) -> f32 {
  let index = add64(mul32(rowBase, u.T), vec2<u32>(j + 1u, 0u));
  let z = add64(vec2<u32>(u.keyLo, u.keyHi), mul64(index, vec2<u32>(0x7F4A7C15u, 0x9E3779B9u)));
  return select(0.0, u.invKeep, mix64(z).y >= u.threshold);
}
`;

/** procpt-native's tanh (common.h `tanh8`): an odd series below |x| = 0.04, else (1 − e)/(1 + e), e = exp(−2|x|). */
export const TANH_WGSL = /* wgsl */ `
fn tanhApprox(x: f32) -> f32 {
  let ax = abs(x);
  let x2 = ax * ax;
  let small = ax * (((x2 * (-17.0 / 315.0) + (2.0 / 15.0)) * x2 + (-1.0 / 3.0)) * x2 + 1.0);
  let e = exp(-2.0 * ax);
  let big = (1.0 - e) / (1.0 + e);
  return sign(x) * select(big, small, ax < 0.04);
}
`;

const GOLDEN = 0x9e3779b97f4a7c15n;
const MASK64 = (1n << 64n) - 1n;

/** procpt-native's `mix64` (splitmix64's finaliser) on BigInts. */
export function mix64(z: bigint): bigint {
  z = (((z ^ (z >> 30n)) & MASK64) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = (((z ^ (z >> 27n)) & MASK64) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** The uniforms of {@link DROPOUT_WGSL} for (rate, seed), as procpt-native derives them (float32 rate). */
export function dropoutUniforms(rate: number, seed: number) {
  const r = Math.fround(rate);
  const key = mix64((BigInt.asUintN(64, BigInt(seed)) + GOLDEN) & MASK64);
  return {
    keyLo: Number(key & 0xffffffffn),
    keyHi: Number(key >> 32n),
    threshold: Math.min(4294967295, Math.floor(r * 4294967296 + 0.5)),
    invKeep: Math.fround(1 / Math.fround(1 - r)),
  };
}

/** The keep mask procpt-native uses for flat index `index` = ((b·H + h)·T + i)·T + j (tests). */
export function dropKept(rate: number, seed: number, index: number): boolean {
  const { keyLo, keyHi, threshold } = dropoutUniforms(rate, seed);
  const key = (BigInt(keyHi) << 32n) | BigInt(keyLo);
  const z = (key + (BigInt(index) + 1n) * GOLDEN) & MASK64;
  return Number(mix64(z) >> 32n) >= threshold;
}
