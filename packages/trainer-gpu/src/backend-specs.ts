import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { BackendName, SelectOptions } from './backends.js';
import { loadWebGpu } from './webgpu.js';

// What each backend is: its package, its tfjs name, what it needs and how it loads. selectBackend and
// listBackends (backends.ts) decide which one runs.

export interface BackendSpec {
  pkg: string;
  /** Further packages it needs (webgpu: Dawn's `webgpu`). */
  also?: string[];
  tfName: string;
  needs: string;
  /** Installs the package's kernels into tfjs-core; throws when it cannot (or, in `auto`, should not). */
  load(options: SelectOptions, auto: boolean): Promise<void>;
}

const TFJS_NODE_NEEDS =
  'pnpm add @tensorflow/tfjs-node@4.22.0 — its install script downloads libtensorflow 2.9.1 from storage.googleapis.com, so it fails without that network access';
const TFJS_NODE_GPU_NEEDS =
  'pnpm add @tensorflow/tfjs-node-gpu@4.22.0 on Linux x86-64 with an NVIDIA driver > 450, CUDA 11.2 and cuDNN 8.1 libraries on LD_LIBRARY_PATH — its install script downloads libtensorflow-gpu 2.9.1 from storage.googleapis.com';

const WEBGPU_NEEDS =
  'pnpm add @tensorflow/tfjs-backend-webgpu@4.22.0 webgpu@0.6.2 and a Vulkan driver (NVIDIA/AMD/Intel; Mesa >= 23 lavapipe gives a CPU adapter that only an explicit --backend webgpu uses). PROCPT_DAWN_FLAGS passes Dawn toggles, e.g. adapter=NVIDIA';

const NATIVE_NEEDS =
  'nothing on Linux x86-64/arm64 with glibc: @procpt/backend-native (bundled with @procpt/trainer-gpu) ships prebuilt binaries, which need only the OpenMP runtime libgomp.so.1 (apt-get install libgomp1 where it is missing); elsewhere build it from source with the command its unavailable message gives (needs g++ and Python 3). PROCPT_NATIVE=0 disables it, PROCPT_NATIVE_ISA=avx2|base picks a lower CPU tier';

const require_ = createRequire(import.meta.url);

export type NativeModule = typeof import('@procpt/backend-native');

/** Which binary procpt-native loaded and which CPU kernels it dispatched to, e.g.
 * `AVX-512 (x86-64-v4) kernels from the prebuilt linux-x64 binary`. */
export function nativeBinaryLabel(info: ReturnType<NativeModule['nativeBackendInfo']>): string {
  const kernels = `${info.isaLabel ?? (info.avx2 ? 'AVX2/FMA' : 'baseline')} kernels`;
  const others = (info.isas ?? []).filter((t) => t !== info.isa);
  return `${kernels}${others.length ? ` (this CPU also runs: ${others.join(', ')})` : ''} from the ${info.binary ?? 'native'} binary`;
}

/** Loads @procpt/backend-native and registers its backend; throws with the addon's reason when unavailable. */
async function loadNative(options: SelectOptions): Promise<NativeModule> {
  const native = (await import('@procpt/backend-native')) as NativeModule;
  const status = native.registerNativeBackend();
  if (!status.available) throw new NativeUnavailable(status.reason ?? 'unknown reason');
  if (options.threads !== undefined) native.setNativeThreads(Math.max(1, options.threads));
  return native;
}

/** The native addon could not load (build failed, disabled, wrong platform); carries its reason. */
export class NativeUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`procpt-native unavailable (${reason})`);
  }
}

/** Imports a package by a runtime name, so bundlers and tsc never resolve the optional ones. */
async function importOptional(pkg: string): Promise<Record<string, unknown>> {
  const specifier: string = pkg;
  return (await import(specifier)) as Record<string, unknown>;
}

export const SPECS: Record<BackendName, BackendSpec> = {
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    tfName: 'tensorflow',
    needs: TFJS_NODE_GPU_NEEDS,
    load: async () => {
      await importOptional('@tensorflow/tfjs-node-gpu');
    },
  },
  webgpu: {
    pkg: '@tensorflow/tfjs-backend-webgpu',
    also: ['webgpu'],
    tfName: 'webgpu',
    needs: WEBGPU_NEEDS,
    load: async (_options, auto) => {
      await loadWebGpu(auto);
    },
  },
  tensorflow: {
    pkg: '@tensorflow/tfjs-node',
    tfName: 'tensorflow',
    needs: TFJS_NODE_NEEDS,
    load: async () => {
      await importOptional('@tensorflow/tfjs-node');
    },
  },
  'procpt-native': {
    pkg: '@procpt/backend-native',
    tfName: 'procpt-native',
    needs: NATIVE_NEEDS,
    load: async (options) => {
      await loadNative(options);
    },
  },
  wasm: {
    pkg: '@tensorflow/tfjs-backend-wasm',
    tfName: 'wasm',
    needs: 'nothing: bundled with @procpt/trainer-gpu (SIMD when the CPU has it)',
    load: async (options) => {
      const wasm = (await import(
        '@tensorflow/tfjs-backend-wasm'
      )) as typeof import('@tensorflow/tfjs-backend-wasm');
      // Must be set before the backend initialises; Node runs the non-threaded build regardless.
      wasm.setThreadsCount(Math.max(1, options.threads ?? cpus().length));
    },
  },
  cpu: {
    pkg: '@tensorflow/tfjs-backend-cpu',
    tfName: 'cpu',
    needs: 'nothing: bundled (pure JavaScript, slow; for tests and as the last resort)',
    load: async () => {
      await import('@tensorflow/tfjs-backend-cpu');
    },
  },
};

export function packageVersion(pkg: string): string {
  try {
    return (require_(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The first of a backend's packages that is not installed, if any. */
export function missingPackage(spec: BackendSpec): string | undefined {
  return [spec.pkg, ...(spec.also ?? [])].find((pkg) => !isInstalled(pkg));
}

function isInstalled(pkg: string): boolean {
  try {
    require_.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}
