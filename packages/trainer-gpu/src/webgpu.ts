// WebGPU on Node: Dawn's `webgpu` npm package (Vulkan on Linux) under @tensorflow/tfjs-backend-webgpu.
// Both packages are optional peers; nothing here is imported until the webgpu backend is tried.
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

/** The adapter Dawn picked (the webgpu backend's `BackendReport.adapter`). */
export interface WebGpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /**
   * True for a software (CPU) adapter: Dawn's fallback flag, or a known software rasteriser name
   * (lavapipe/llvmpipe, SwiftShader, WARP). `auto` never picks those.
   */
  software: boolean;
  /**
   * The adapter's buffer limits (tfjs requests these for its device): the largest buffer, and the largest one
   * a shader may bind; a tensor over the binding limit makes WebGPU return garbage. Absent when not reported.
   */
  limits?: WebGpuLimits;
}

/** The WebGPU limits procpt's memory guard checks a run against (bytes). */
export interface WebGpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** Structural view of the few WebGPU objects used here (no dependency on `@webgpu/types`). */
interface AdapterLike {
  info?: Partial<Record<'vendor' | 'architecture' | 'device' | 'description', string>> & {
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
  limits?: Partial<Record<keyof WebGpuLimits, number>>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|software|microsoft basic render|\bwarp\b/i;

/** Builds the report of an adapter; `software` from the fallback flag or a software rasteriser's name. */
export function describeAdapter(adapter: AdapterLike): WebGpuAdapter {
  const info = adapter.info ?? {};
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const software =
    info.isFallbackAdapter === true ||
    adapter.isFallbackAdapter === true ||
    SOFTWARE_NAMES.test(`${architecture} ${device} ${description}`);
  const out: WebGpuAdapter = { vendor, architecture, device, description, software };
  const maxBufferSize = adapter.limits?.maxBufferSize;
  const maxStorageBufferBindingSize = adapter.limits?.maxStorageBufferBindingSize;
  if (typeof maxBufferSize === 'number' && typeof maxStorageBufferBindingSize === 'number')
    out.limits = { maxBufferSize, maxStorageBufferBindingSize };
  return out;
}

/** One line naming the adapter, e.g. `nvidia hopper (NVIDIA H200), hardware`. */
export function adapterLabel(a: WebGpuAdapter): string {
  const name = a.description || a.device || 'unnamed device';
  const head = [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'unknown vendor';
  return `${head} (${name}), ${a.software ? 'software/CPU adapter' : 'hardware GPU'}`;
}

/** The adapter's buffer limits in words, e.g. `buffers up to 4.0 GiB, bindings up to 128 MiB`. */
export function limitsLabel(limits: WebGpuLimits): string {
  const size = (b: number) =>
    b >= 1024 ** 3 ? `${(b / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(b / 1024 ** 2)} MiB`;
  return `buffers up to ${size(limits.maxBufferSize)}, bindings up to ${size(limits.maxStorageBufferBindingSize)}`;
}

/**
 * The Vulkan driver manifests (ICD JSON files) the Vulkan loader would read on Linux: the files named by
 * `VK_DRIVER_FILES` / `VK_ICD_FILENAMES` / `VK_ADD_DRIVER_FILES`, else those in the standard `icd.d`
 * folders. Lets `auto` skip Dawn entirely (and its stderr chatter) where no Vulkan driver exists.
 */
export function vulkanDriverManifests(env: NodeJS.ProcessEnv = process.env): string[] {
  const listed = (v: string | undefined) => (v ?? '').split(':').filter((f) => f !== '' && existsSync(f));
  const explicit = listed(env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES);
  if (explicit.length > 0) return [...explicit, ...listed(env.VK_ADD_DRIVER_FILES)];
  const dataDirs = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const dirs = [
    ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'),
    '/etc',
    ...(env.XDG_DATA_HOME ? [env.XDG_DATA_HOME] : []),
    ...dataDirs,
  ].map((d) => join(d, 'vulkan', 'icd.d'));
  const found = new Set<string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.json')) found.add(join(dir, f));
  }
  return [...found, ...listed(env.VK_ADD_DRIVER_FILES)];
}

/**
 * The GPU device nodes of this Linux machine (`/dev/nvidia<N>`, `/dev/dri/renderD*`): a hardware Vulkan
 * driver finds no GPU without one (Mesa installs the Intel/AMD/virtio manifests on every machine with
 * lavapipe). `PROCPT_DEV_DIR` replaces `/dev` (tests).
 */
export function gpuDeviceNodes(env: NodeJS.ProcessEnv = process.env): string[] {
  const dev = env.PROCPT_DEV_DIR ?? '/dev';
  const list = (d: string, match: RegExp) =>
    existsSync(d)
      ? readdirSync(d)
          .filter((f) => match.test(f))
          .map((f) => join(d, f))
      : [];
  return [...list(dev, /^nvidia\d+$/), ...list(join(dev, 'dri'), /^renderD\d+$/)];
}

/** True for the manifests of software Vulkan drivers (Mesa lavapipe, SwiftShader). */
export function isSoftwareVulkanManifest(path: string): boolean {
  return /(^|[/_-])(lvp|lavapipe|swiftshader|vk_swiftshader)[^/]*\.json$/i.test(path);
}

let installing: Promise<GpuLike> | undefined;

/**
 * Creates Dawn's `navigator.gpu` (once per process) and asks it for the high-performance adapter
 * tfjs will get. `PROCPT_DAWN_FLAGS` (comma-separated Dawn toggles such as `backend=vulkan` or
 * `adapter=NVIDIA`) is passed to Dawn's `create`. An existing `navigator.gpu` is used as is. Throws
 * when Dawn finds no adapter.
 */
export async function initWebGpuRuntime(): Promise<WebGpuAdapter> {
  installing ??= installNavigatorGpu();
  // a failed install (package missing or broken) may be retried later; do not keep the rejection
  installing.catch(() => {
    installing = undefined;
  });
  const gpu = await installing;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(
      'Dawn found no WebGPU adapter (no Vulkan driver: install the GPU vendor driver, or Mesa >= 23 lavapipe for a CPU adapter)',
    );
  }
  return describeAdapter(adapter);
}

/** Dawn's npm package `webgpu`: its `create(flags)` and the WebGPU interface globals. */
export interface DawnModule {
  create(flags: string[]): unknown;
  globals: Record<string, unknown>;
}

/**
 * Installs `navigator.gpu` from Dawn (and the `GPUBufferUsage`, `GPUMapMode`, ... globals that
 * tfjs-backend-webgpu reads, as in a browser); Node 20 has no `navigator`. Dawn toggles come from
 * `PROCPT_DAWN_FLAGS` (comma-separated, e.g. `backend=vulkan,adapter=NVIDIA`). For bundles that import
 * `webgpu` statically; {@link initWebGpuRuntime} calls it by itself.
 */
export function installDawn(dawn: DawnModule): void {
  const flags = (process.env.PROCPT_DAWN_FLAGS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const gpu = dawn.create(flags);
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true });
  }
  const current = (globalThis as { navigator?: object }).navigator;
  const navigator = { ...(current ?? {}), gpu };
  Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });
}

async function installNavigatorGpu(): Promise<GpuLike> {
  const g = globalThis as { navigator?: { gpu?: GpuLike } };
  if (!g.navigator?.gpu) {
    const specifier: string = 'webgpu';
    installDawn((await import(specifier)) as DawnModule);
  }
  return g.navigator!.gpu!;
}

/**
 * Imports the tfjs webgpu backend; it registers itself only when `navigator.gpu` already exists. A no-op when
 * it is registered already (a bundle that imports it itself, such as tools/gpu's).
 */
export async function importWebGpuBackend(): Promise<void> {
  if (tf.findBackendFactory('webgpu')) return;
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  await import(specifier);
}

/** `auto` skips a software WebGPU adapter: it is a slower CPU path than procpt-native or wasm. */
export class SoftwareAdapter extends Error {}

/**
 * Loads Dawn and the tfjs webgpu backend and returns the adapter. With `auto`, throws a {@link SoftwareAdapter}
 * instead of settling for a software adapter (and, on Linux, decides from the driver manifests and device nodes
 * before loading Dawn at all).
 */
export async function loadWebGpu(auto: boolean): Promise<WebGpuAdapter> {
  if (auto && process.platform === 'linux') {
    // decide from the driver manifests first: loading Dawn where it can only fail prints Vulkan noise
    const manifests = vulkanDriverManifests();
    if (manifests.length === 0)
      throw new Error('no Vulkan driver installed (no ICD manifest in */vulkan/icd.d)');
    if (manifests.every(isSoftwareVulkanManifest)) {
      throw new SoftwareAdapter(
        `only software Vulkan drivers (${manifests.map((m) => basename(m)).join(', ')}); auto skips them (--backend webgpu forces it)`,
      );
    }
    if (gpuDeviceNodes().length === 0) {
      throw new SoftwareAdapter(
        'no GPU device node (/dev/nvidia*, /dev/dri/renderD*): only a software adapter could run; auto skips it (--backend webgpu forces it)',
      );
    }
  }
  const adapter = await initWebGpuRuntime();
  if (auto && adapter.software) {
    throw new SoftwareAdapter(
      `adapter ${adapterLabel(adapter)} is not a GPU; auto skips it (--backend webgpu forces it)`,
    );
  }
  await importWebGpuBackend();
  if (!tf.findBackendFactory('webgpu')) throw new Error("tfjs-backend-webgpu registered no 'webgpu' backend");
  return adapter;
}

/** Counts the GPU validation errors of the active webgpu backend's device (see {@link watchWebGpuErrors}). */
export interface WebGpuErrorLog {
  count: number;
  /** First line of the first error. */
  first?: string;
}

interface EventDevice {
  addEventListener(
    type: 'uncapturederror',
    listener: (event: { error?: { message?: string } }) => void,
  ): void;
}

const errorLogs = new WeakMap<object, WebGpuErrorLog>();

/**
 * WebGPU reports invalid work (a buffer over `maxStorageBufferBindingSize`, too many bindings) as an
 * event, not an exception, and the op silently returns zeros or garbage. This counts those errors on the
 * webgpu backend's device and prints the first one on stderr, so a run never looks healthy while its
 * numbers are invalid. Idempotent per device; call after `tf.setBackend('webgpu')`.
 */
export function watchWebGpuErrors(): WebGpuErrorLog {
  const device = (tf.findBackend('webgpu') as unknown as { device?: EventDevice } | null)?.device;
  if (!device) throw new Error("watchWebGpuErrors: the 'webgpu' backend is not initialised");
  let log = errorLogs.get(device);
  if (log) return log;
  const created: WebGpuErrorLog = { count: 0 };
  device.addEventListener('uncapturederror', (event) => {
    created.count++;
    if (created.first !== undefined) return;
    created.first = (event.error?.message ?? 'unknown GPU error').split('\n')[0]!;
    process.stderr.write(
      `webgpu: GPU validation error, results computed since are invalid: ${created.first}\n`,
    );
  });
  log = created;
  errorLogs.set(device, log);
  return log;
}
