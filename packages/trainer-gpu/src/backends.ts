import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FusedOptimizer } from './adamw.js';
import {
  missingPackage,
  type NativeModule,
  NativeUnavailable,
  nativeBinaryLabel,
  packageVersion,
  SPECS,
} from './backend-specs.js';
import { installCpuKernels, installWasmKernels, installWebGpuKernels } from './stock-patches.js';
import {
  adapterLabel,
  initWebGpuRuntime,
  limitsLabel,
  SoftwareAdapter,
  type WebGpuAdapter,
  watchWebGpuErrors,
} from './webgpu.js';
import { installWebGpuFusedKernels } from './webgpu-kernels/index.js';

/** The compute backends procpt can train on, fastest first. */
export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'procpt-native' | 'wasm' | 'cpu';

/** `auto` tries {@link BACKEND_ORDER} and keeps the first that loads. */
export type BackendPreference = 'auto' | BackendName;

/**
 * Order tried by `auto`: libtensorflow-gpu when installed, then WebGPU through Dawn (Vulkan) when its
 * optional packages are installed and the adapter is a hardware GPU, then libtensorflow on the CPU, then
 * procpt's own native SIMD/multithreaded backend (built from C++ at install; skipped with a one-line notice
 * when its build failed), then wasm, then cpu.
 */
export const BACKEND_ORDER: readonly BackendName[] = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'procpt-native',
  'wasm',
  'cpu',
];

/**
 * Checks a backend name given by a user (a `--backend` flag, a config field): `auto` or one of
 * {@link BACKEND_ORDER}, else a `usage` error naming `where` and the choices.
 */
export function parseBackendPreference(raw: string, where = '--backend'): BackendPreference {
  const all: readonly string[] = ['auto', ...BACKEND_ORDER];
  if (!all.includes(raw)) {
    throw new ProcptError('usage', `${where} must be one of ${all.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as BackendPreference;
}

/** What is really running after {@link selectBackend}. */
export interface BackendReport {
  /** procpt's name of the selected backend. */
  name: BackendName;
  /** What was asked for. */
  requested: BackendPreference;
  /** `tf.getBackend()` after selection. */
  tfBackend: string;
  /** Where the math runs. `cpu` for tfjs-node-gpu when TensorFlow found no usable GPU. */
  device: 'gpu' | 'cpu';
  /** npm package that provides it, and its version. */
  package: string;
  version: string;
  /** wasm and procpt-native: effective thread count; wasm: whether the SIMD binary runs. */
  threads?: number;
  simd?: boolean;
  /** webgpu: the adapter Dawn picked (a software adapter such as lavapipe computes on the CPU). */
  adapter?: WebGpuAdapter;
  /** Human notes: fallbacks taken, silent CPU fallback, kernels patched. */
  notes: string[];
}

/** One row of `procpt backends`. */
export interface BackendAvailability {
  name: BackendName;
  package: string;
  /** `available`: loads here; `missing`: package not installed; `broken`: installed but fails to load. */
  status: 'available' | 'missing' | 'broken';
  /** Why it is missing or broken (first line of the loader's error). */
  reason?: string;
  /**
   * When probed. webgpu: the adapter it would run on, in words. procpt-native: which binary loaded (the prebuilt
   * for this platform or a local build) and which CPU kernels it dispatched to, and any candidate it skipped and why.
   */
  detail?: string;
  /** webgpu when probed: the adapter (vendor, architecture, description, software flag, buffer limits). */
  adapter?: WebGpuAdapter;
  /** What it needs to work. */
  needs: string;
}

/** Options of {@link selectBackend}. */
export interface SelectOptions {
  /**
   * Threads of wasm (default: number of cores; Node runs the non-threaded build, so 1 is what you get) and of
   * procpt-native (default: all cores, or `PROCPT_NATIVE_THREADS`).
   */
  threads?: number;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n').find((l) => l.trim() !== '') ?? text).trim();
}

/**
 * tfjs's cpu backend (and procpt-native, built on it) prints "Hi, looks like you are running TensorFlow.js
 * in Node.js. To speed things up dramatically, install our node backend…" on its first tensor. procpt
 * already picks tfjs-node when it is installed (and says what it picked), so the banner is only noise:
 * it is silenced here, where every procpt program activates its backend (the CLI, study workers, library
 * callers of `selectBackend`, `runTraining` and `benchTrain`). Only that message: tfjs's other warnings
 * stay, and its global `PROD` flag is left alone. (`firstUse` is the backend's own once-only switch for it.)
 */
function silenceNodeBanner(): void {
  const backend = tf.backend() as unknown as { firstUse?: unknown };
  if (typeof backend.firstUse === 'boolean') backend.firstUse = false;
}

async function activate(name: BackendName, options: SelectOptions, auto: boolean): Promise<void> {
  const spec = SPECS[name];
  const missing = missingPackage(spec);
  if (missing !== undefined) {
    throw new ProcptError('backend', `backend ${name} needs ${missing}, which is not installed`, {
      hint: spec.needs,
    });
  }
  try {
    await spec.load(options, auto);
    if (!(await tf.setBackend(spec.tfName)))
      throw new Error(`tf.setBackend('${spec.tfName}') returned false`);
    await tf.ready();
    silenceNodeBanner();
  } catch (error) {
    if (error instanceof ProcptError) throw error;
    throw new ProcptError('backend', `backend ${name} (${spec.pkg}) failed to load: ${firstLine(error)}`, {
      hint: spec.needs,
      cause: error,
    });
  }
}

let nativeNoticeShown = false;

/** True when tfjs-node(-gpu) reports TensorFlow placed ops on a GPU; undefined when it cannot tell. */
function tensorflowUsesGpu(): boolean | undefined {
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: unknown };
  return typeof backend.isUsingGpuDevice === 'boolean' ? backend.isUsingGpuDevice : undefined;
}

async function describe(
  name: BackendName,
  requested: BackendPreference,
  notes: string[],
): Promise<BackendReport> {
  const spec = SPECS[name];
  const report: BackendReport = {
    name,
    requested,
    tfBackend: tf.getBackend(),
    device: 'cpu',
    package: spec.pkg,
    version: packageVersion(spec.pkg),
    notes,
  };
  if (name === 'tensorflow-gpu') {
    const gpu = tensorflowUsesGpu();
    if (gpu === true) report.device = 'gpu';
    else
      notes.push(
        gpu === false
          ? 'tfjs-node-gpu loaded but TensorFlow found no usable GPU and runs on the CPU (CUDA 11.2 / cuDNN 8.1 libraries missing from LD_LIBRARY_PATH, or an unsupported GPU)'
          : 'tfjs-node-gpu loaded but cannot report its device; assuming CPU',
      );
  }
  if (name === 'wasm') {
    const wasm = (await import(
      '@tensorflow/tfjs-backend-wasm'
    )) as typeof import('@tensorflow/tfjs-backend-wasm');
    report.threads = wasm.getThreadsCount();
    report.simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    if (!report.simd) notes.push('wasm runs without SIMD (about 1.5x slower)');
    installWasmKernels();
    notes.push('wasm: kernels patched (UnsortedSegmentSum, XNNPACK path for transposed matmuls)');
  }
  if (name === 'procpt-native') {
    const native = (await import('@procpt/backend-native')) as NativeModule;
    const info = native.nativeBackendInfo();
    if (info.threads !== undefined) report.threads = info.threads;
    notes.push(
      `procpt-native: ${info.threads ?? '?'} threads, ${nativeBinaryLabel(info)}, fused attention/LayerNorm/GELU/CE/AdamW`,
    );
    for (const miss of info.skipped ?? []) notes.push(`procpt-native: skipped ${miss}`);
  }
  if (name === 'webgpu') {
    const adapter = await initWebGpuRuntime();
    report.adapter = adapter;
    if (!adapter.software) report.device = 'gpu';
    notes.push(`webgpu: ${adapterLabel(adapter)}${adapter.limits ? `; ${limitsLabel(adapter.limits)}` : ''}`);
    installWebGpuKernels();
    notes.push('webgpu: AddN patched to sum in groups within the storage-buffer limit');
    notes.push(installWebGpuFusedKernels());
    // WebGPU reports invalid work as events, not exceptions: say so on stderr when one happens
    watchWebGpuErrors();
  }
  if (name === 'cpu') {
    installCpuKernels();
    notes.push('cpu: linear-time UnsortedSegmentSum installed');
  }
  return report;
}

/**
 * Loads and activates a tfjs backend. `auto` tries `tensorflow-gpu`, `webgpu` (hardware adapters only),
 * `tensorflow`, `procpt-native`, `wasm`, `cpu` in that order, each by dynamic import only when tried, and
 * keeps the first that loads; the skipped
 * ones are listed in `notes`, and a procpt-native that cannot load prints one line on stderr
 * (`procpt-native unavailable (<reason>); using wasm`). An explicitly requested backend that cannot load is a `backend`
 * {@link ProcptError} saying what to install. The report says what really runs — including
 * tfjs-node-gpu silently computing on the CPU, and the WebGPU adapter.
 */
export async function selectBackend(
  preference: BackendPreference = 'auto',
  options: SelectOptions = {},
): Promise<BackendReport> {
  if (preference !== 'auto') {
    if (!(preference in SPECS)) {
      throw new ProcptError('usage', `unknown backend ${JSON.stringify(preference)}`, {
        hint: `use one of auto, ${BACKEND_ORDER.join(', ')}`,
      });
    }
    await activate(preference, options, false);
    return describe(preference, preference, []);
  }
  const notes: string[] = [];
  let nativeReason: string | undefined;
  for (const name of BACKEND_ORDER) {
    const missing = missingPackage(SPECS[name]);
    if (missing !== undefined) {
      notes.push(`${name}: skipped, ${missing} not installed`);
      continue;
    }
    try {
      await activate(name, options, true);
      if (nativeReason !== undefined) {
        // the one line a user without a working C++ build sees (once per process)
        if (!nativeNoticeShown)
          process.stderr.write(`procpt-native unavailable (${nativeReason}); using ${name}\n`);
        nativeNoticeShown = true;
      }
      return describe(name, 'auto', notes);
    } catch (error) {
      const cause = error instanceof ProcptError ? error.cause : error;
      if (cause instanceof NativeUnavailable) nativeReason = cause.reason;
      notes.push(
        cause instanceof SoftwareAdapter
          ? `${name}: ${cause.message}`
          : `${name}: ${error instanceof ProcptError ? error.message : firstLine(error)}`,
      );
    }
  }
  throw new ProcptError('backend', `no tfjs backend could be loaded: ${notes.join('; ')}`, {
    hint: 'reinstall @procpt/trainer-gpu (it bundles the wasm and cpu backends)',
  });
}

/**
 * The fused optimizer passes of the backend `report` names, for the `Trainer` (`fusedOptimizer`), `AdamW` and
 * `globalNormClip`: procpt-native's in-place native AdamW update and gradient norm. Undefined for every other
 * backend, whose optimizer runs as tfjs ops. (Not a field of the report: reports are plain data, written to
 * `config.resolved.json`.)
 */
export async function fusedOptimizerFor(
  report: Pick<BackendReport, 'name'>,
): Promise<FusedOptimizer | undefined> {
  if (report.name !== 'procpt-native') return undefined;
  const native = (await import('@procpt/backend-native')) as NativeModule;
  return { backend: native.NATIVE_BACKEND, update: native.adamwUpdate, gradNorm: native.globalGradNorm };
}

/**
 * Lists every backend with whether it works here. With `probe` (default) installed packages are
 * actually loaded, so a broken native install shows as `broken` with its error.
 */
export async function listBackends(options: { probe?: boolean } = {}): Promise<BackendAvailability[]> {
  const probe = options.probe ?? true;
  const rows: BackendAvailability[] = [];
  for (const name of BACKEND_ORDER) {
    const spec = SPECS[name];
    const missing = missingPackage(spec);
    if (missing !== undefined) {
      const reason = missing === spec.pkg ? 'not installed' : `${missing} not installed`;
      rows.push({ name, package: spec.pkg, status: 'missing', reason, needs: spec.needs });
      continue;
    }
    if (!probe) {
      rows.push({ name, package: spec.pkg, status: 'available', needs: spec.needs });
      continue;
    }
    try {
      await spec.load({}, false);
      if (!tf.findBackendFactory(spec.tfName)) throw new Error(`no '${spec.tfName}' backend registered`);
      const row: BackendAvailability = { name, package: spec.pkg, status: 'available', needs: spec.needs };
      if (name === 'webgpu') {
        const adapter = await initWebGpuRuntime();
        row.adapter = adapter;
        row.detail = `adapter: ${adapterLabel(adapter)}${adapter.limits ? `; ${limitsLabel(adapter.limits)}` : ''}`;
      }
      if (name === 'procpt-native') {
        const native = (await import('@procpt/backend-native')) as NativeModule;
        const info = native.nativeBackendInfo();
        row.detail = [
          `${nativeBinaryLabel(info)} (${info.path})`,
          ...(info.skipped ?? []).map((miss) => `skipped ${miss}`),
        ].join('; ');
      }
      rows.push(row);
    } catch (error) {
      rows.push({ name, package: spec.pkg, status: 'broken', reason: firstLine(error), needs: spec.needs });
    }
  }
  return rows;
}
