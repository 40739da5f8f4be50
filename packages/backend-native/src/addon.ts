import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C++ functions of `build/Release/procpt_native.node` (see native/binding.cc). Arrays are used in place. */
export interface NativeAddon {
  matmul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    strideA: number,
    strideB: number,
  ): void;
  gemm(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    lda: number,
    b: Float32Array,
    ldb: number,
    beta: number,
    c: Float32Array,
    ldc: number,
  ): void;
  binary(
    op: number,
    out: Float32Array,
    a: Float32Array,
    b: Float32Array,
    shape: Int32Array,
    stridesA: Int32Array,
    stridesB: Int32Array,
    rank: number,
  ): void;
  unary(op: number, out: Float32Array, x: Float32Array, n: number, alpha: number): void;
  softmax(out: Float32Array, x: Float32Array, rows: number, cols: number): void;
  reduceRows(op: number, out: Float32Array, x: Float32Array, rows: number, cols: number): void;
  sumCols(out: Float32Array, x: Float32Array, rows: number, cols: number): void;
  transpose(out: Float32Array, x: Float32Array, shape: Int32Array, perm: Int32Array, rank: number): void;
  copyBlock(
    dst: Float32Array,
    dstShape: Int32Array,
    dstBegin: Int32Array,
    src: Float32Array,
    srcShape: Int32Array,
    srcBegin: Int32Array,
    size: Int32Array,
    rank: number,
  ): void;
  gatherRows(
    out: Float32Array,
    x: Float32Array,
    idx: Int32Array,
    n: number,
    rows: number,
    cols: number,
  ): void;
  segmentSumRows(
    out: Float32Array,
    x: Float32Array,
    ids: Int32Array,
    n: number,
    segments: number,
    cols: number,
  ): void;
  adamw(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    biasCorrection1: number,
    biasCorrection2: number,
    gradScale: number,
  ): void;
  /** Σ x² over every element of every array, accumulated in double (the squared global L2 norm). */
  sumSquares(arrays: readonly Float32Array[]): number;
  attentionForward(
    qkv: Float32Array,
    out: Float32Array,
    probs: Float32Array,
    b: number,
    t: number,
    h: number,
    dh: number,
    scale: number,
    dropout: number,
    seed: number,
  ): void;
  attentionBackward(
    dy: Float32Array,
    qkv: Float32Array,
    probs: Float32Array,
    dqkv: Float32Array,
    b: number,
    t: number,
    h: number,
    dh: number,
    scale: number,
    dropout: number,
    seed: number,
  ): void;
  /** The attention kernels' keep-mask (1 kept, 0 dropped) for (dropout, seed), written to `out` [B, H, T, T]. */
  attentionDropoutMask(
    out: Float32Array,
    b: number,
    h: number,
    t: number,
    dropout: number,
    seed: number,
  ): void;
  layerNormForward(
    x: Float32Array,
    g: Float32Array,
    b: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    d: number,
    eps: number,
  ): void;
  layerNormBackward(
    dy: Float32Array,
    x: Float32Array,
    g: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dx: Float32Array,
    dg: Float32Array,
    db: Float32Array,
    rows: number,
    d: number,
  ): void;
  biasGeluForward(x: Float32Array, bias: Float32Array, y: Float32Array, rows: number, f: number): void;
  biasGeluBackward(
    dy: Float32Array,
    x: Float32Array,
    bias: Float32Array,
    dx: Float32Array,
    db: Float32Array,
    rows: number,
    f: number,
  ): void;
  maskedCrossEntropy(
    h: Float32Array,
    w: Float32Array,
    targets: Int32Array,
    weights: Float32Array,
    n: number,
    v: number,
    d: number,
    lossCorrect: Float64Array,
    dh: Float32Array | null,
    dw: Float32Array | null,
    /** Rows per logits chunk; 0 or absent: chunks of up to 128 MiB of logits. */
    maxChunkRows?: number,
  ): void;
  /** FLOP/s of register-resident FMA chains on `threads` threads for `seconds` (see native/peak.cc). */
  measurePeakFlops(threads: number, seconds: number): number;
  info(): { threads: number; avx2: boolean; openmp: boolean; lanes: number };
  setThreads(n: number): void;
}

/** Outcome of loading the addon. */
export type AddonLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

let cached: AddonLoad | undefined;

/** The package root: src/ and dist/ both sit one level below it. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/**
 * Loads `build/Release/procpt_native.node` once. Never throws: a missing or broken build yields
 * `{addon: null, reason}` (the build script's recorded error when there is one). `PROCPT_NATIVE=0` disables it.
 */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): AddonLoad {
  if (process.env.PROCPT_NATIVE === '0') return { addon: null, reason: 'disabled by PROCPT_NATIVE=0' };
  const root = packageRoot();
  const path = join(root, 'build', 'Release', 'procpt_native.node');
  if (!existsSync(path)) {
    const errFile = join(root, 'build', 'native-build-error.txt');
    const lines = existsSync(errFile) ? readFileSync(errFile, 'utf8').trim().split('\n') : [];
    // the compiler's first error line says more than node-gyp's banner
    const recorded = lines.find((l) => /error:/i.test(l))?.trim() ?? lines[0];
    return {
      addon: null,
      reason: recorded
        ? `native addon build failed (${recorded}); rebuild with 'pnpm --filter @procpt/backend-native build:native'`
        : `native addon not built (${path} missing); run 'pnpm --filter @procpt/backend-native build:native' (needs g++ and Python 3)`,
    };
  }
  // OpenMP threads that spin at barriers collapse when another process holds a core (measured 5x slower
  // steps at 2 threads on a shared 2-core machine); sleeping waiters cost little when the cores are free.
  // libgomp reads this once, when the addon loads it, so it must be set before the require.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon.matmul !== 'function') return { addon: null, reason: `${path} is not the procpt addon` };
    return { addon, path };
  } catch (e) {
    return { addon: null, reason: `loading ${path} failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}
