import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSourceHash } from '../scripts/native-sources.mjs';

/** The C++ functions of `procpt_native.node` (see native/binding.cc). Arrays are used in place. */
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
  info(): {
    threads: number;
    /** True when the kernels in use have AVX2/FMA (the avx2 and avx512 tiers). */
    avx2: boolean;
    openmp: boolean;
    /** Vector width of measurePeakFlops: 16 (AVX-512), 8 (AVX2) or 1. */
    lanes: number;
    /** CPU tier of the kernels in use: `avx512`, `avx2` or `base` (absent in addons built before the tiers). */
    isa?: string;
    /** What that tier is, e.g. `AVX2/FMA (x86-64-v3)`. */
    isaLabel?: string;
    /** Every tier this binary has and this CPU runs, best first. */
    isas?: string[];
  };
  /** Switches to CPU tier `name` if the binary has it and the CPU runs it; false (no change) otherwise. */
  setIsa(name: string): boolean;
  setThreads(n: number): void;
}
/** Where a loaded addon comes from: the prebuilt binary shipped for this platform, or a local build from source. */
export type AddonSource = 'prebuilt' | 'local';

/** Outcome of loading the addon. `skipped`: why each candidate before the loaded one (or every one) was not used. */
export type AddonLoad =
  | { addon: NativeAddon; path: string; source: AddonSource; label: string; skipped: string[] }
  | { addon: null; reason: string; skipped: string[] };

/** What {@link resolveAddon} looks at; every field defaults to this process and this package (tests inject them). */
export interface ResolveOptions {
  /** Package root holding prebuilds/, native/ and scripts/. */
  root?: string;
  platform?: string;
  arch?: string;
  /** The C library on Linux; detected from `process.report` when absent. */
  libc?: 'glibc' | 'musl';
  env?: Record<string, string | undefined>;
  /** Only the prebuilt (scripts/build-native.mjs asks whether a build is needed at all). */
  skipLocal?: boolean;
}

/** The platforms with a prebuilt binary in prebuilds/ (glibc Linux; scripts/prebuild.mjs builds them). */
export const PREBUILT_PLATFORMS: readonly string[] = ['linux-x64', 'linux-arm64'];

let cached: AddonLoad | undefined;

/** The package root: src/ and dist/ both sit one level below it. */
function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}

/**
 * The command that builds the addon from source for the copy of this package at `root`, in any project (it needs
 * a C++ compiler, Python 3 and npm's node-gyp; the package has no install script).
 */
export function buildCommand(root: string = packageRoot()): string {
  return `node ${JSON.stringify(join(root, 'scripts', 'build-native.mjs'))} --force`;
}

/**
 * Loads the native addon once (see {@link resolveAddon}). Never throws: when nothing loads it returns
 * `{addon: null, reason}`. `PROCPT_NATIVE=0` disables it; `PROCPT_NATIVE_ISA=avx2|base|avx512` picks a lower CPU
 * tier than the best one (benchmarks and checks of the other tiers).
 */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  cached = resolveAddon();
  return cached;
}

function detectLibc(): 'glibc' | 'musl' {
  const report = process.report as unknown as
    | { excludeNetwork?: boolean | undefined; getReport(): { header?: { glibcVersionRuntime?: string } } }
    | undefined;
  if (!report) return 'glibc';
  const excludeNetwork = report.excludeNetwork;
  report.excludeNetwork = true; // no network interface lookups (Node >= 20.13); restored below
  try {
    return report.getReport().header?.glibcVersionRuntime ? 'glibc' : 'musl';
  } finally {
    report.excludeNetwork = excludeNetwork;
  }
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/** Requires a `.node` file; a short reason when it fails or is not this addon. */
function tryRequire(path: string): NativeAddon | string {
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon.matmul !== 'function') return `${path} is not the procpt addon`;
    return addon;
  } catch (e) {
    const msg = firstLine(e);
    // the one shared library a machine without a compiler may lack
    const hint = /libgomp/.test(msg)
      ? ' (it needs the OpenMP runtime libgomp.so.1: apt-get install libgomp1, dnf install libgomp, apk add libgomp)'
      : '';
    return `${msg}${hint}`;
  }
}

/**
 * Finds and loads the native addon, in this order, recording why each candidate was skipped:
 * 1. the prebuilt binary for this platform, `prebuilds/<platform>-<arch>/procpt_native.node` (linux-x64 and
 *    linux-arm64, glibc), used only when its manifest's source hash matches the native/ sources beside it;
 * 2. a local build from source, `native/build/Release/procpt_native.node` (`scripts/build-native.mjs`);
 * 3. nothing: `{addon: null, reason}`, the reason listing every miss and the command that builds from source.
 * `PROCPT_NATIVE=0` disables the addon. `PROCPT_NATIVE_ISA` switches the loaded addon to a lower CPU tier.
 */
export function resolveAddon(options: ResolveOptions = {}): AddonLoad {
  const env = options.env ?? process.env;
  const skipped: string[] = [];
  if (env.PROCPT_NATIVE === '0') return { addon: null, reason: 'disabled by PROCPT_NATIVE=0', skipped };
  const root = options.root ?? packageRoot();
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const key = `${platform}-${arch}`;
  // OpenMP threads that spin at barriers collapse when another process holds a core (measured 5x slower
  // steps at 2 threads on a shared 2-core machine); sleeping waiters cost little when the cores are free.
  // libgomp reads this once, when the addon loads it, so it must be set before the require.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';

  const isa = env.PROCPT_NATIVE_ISA;
  /** The addon at `path`, switched to PROCPT_NATIVE_ISA's tier; a miss is recorded in `skipped`. */
  const attempt = (source: AddonSource, label: string, path: string): AddonLoad | undefined => {
    const addon = tryRequire(path);
    if (typeof addon === 'string') {
      skipped.push(`${label} failed to load: ${addon}`);
      return undefined;
    }
    if (isa && !addon.setIsa?.(isa)) {
      const has = addon.info().isas?.join(', ') ?? 'one';
      return {
        addon: null,
        reason: `PROCPT_NATIVE_ISA=${isa} is not a CPU tier of the ${label} binary that this CPU runs (it runs: ${has})`,
        skipped,
      };
    }
    return { addon, path, source, label, skipped };
  };

  const prebuiltDir = join(root, 'prebuilds', key);
  const prebuilt = join(prebuiltDir, 'procpt_native.node');
  const libc = platform === 'linux' ? (options.libc ?? detectLibc()) : undefined;
  if (!PREBUILT_PLATFORMS.includes(key)) {
    skipped.push(`no prebuilt binary for ${key} (prebuilt: ${PREBUILT_PLATFORMS.join(', ')})`);
  } else if (libc !== 'glibc') {
    skipped.push(`the prebuilt ${key} binary needs glibc, this system's C library is ${libc}`);
  } else if (!existsSync(prebuilt) || !existsSync(join(prebuiltDir, 'manifest.json'))) {
    skipped.push(`prebuilt ${key} binary missing (${prebuilt})`);
  } else {
    const manifest = JSON.parse(readFileSync(join(prebuiltDir, 'manifest.json'), 'utf8')) as {
      sources?: string;
    };
    if (existsSync(join(root, 'native')) && manifest.sources !== nativeSourceHash(root)) {
      skipped.push(
        `prebuilt ${key} binary is stale (built from other native/ sources; refresh with 'pnpm --filter @procpt/backend-native make-prebuilds')`,
      );
    } else {
      const loaded = attempt('prebuilt', `prebuilt ${key}`, prebuilt);
      if (loaded) return loaded;
    }
  }
  if (!options.skipLocal) {
    const local = join(root, 'native', 'build', 'Release', 'procpt_native.node');
    if (existsSync(local)) {
      const loaded = attempt('local', 'local build', local);
      if (loaded) return loaded;
    } else {
      const errFile = join(root, 'native', 'build', 'native-build-error.txt');
      const lines = existsSync(errFile) ? readFileSync(errFile, 'utf8').trim().split('\n') : [];
      // the compiler's first error line says more than node-gyp's banner
      const recorded = lines.find((l) => /error:/i.test(l))?.trim() ?? lines[0];
      skipped.push(recorded ? `local build failed (${recorded})` : 'no local build (native/build/Release)');
    }
  }
  return {
    addon: null,
    reason: `${skipped.join('; ')}; build it from source with: ${buildCommand(root)} (needs g++ and Python 3)`,
    skipped,
  };
}
