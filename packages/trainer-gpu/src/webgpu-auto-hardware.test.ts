import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from './backends.js';
import { type DawnModule, installDawn, isSoftwareVulkanManifest, vulkanDriverManifests } from './webgpu.js';

// `auto` on a hardware adapter, without one: Dawn's real adapter (lavapipe on CI) reports itself as an NVIDIA
// H200 through a wrapper, so tfjs creates a real device on it and `auto` must pick webgpu, report a GPU and
// install the fused kernels. Runs where Dawn finds an adapter; vitest gives each file its own process.
const dir = mkdtempSync(join(tmpdir(), 'procpt-hw-'));
const dev = join(dir, 'dev');
mkdirSync(dev, { recursive: true });
writeFileSync(join(dev, 'nvidia0'), '');
process.env.PROCPT_DEV_DIR = dev;
if (process.platform === 'linux' && vulkanDriverManifests().every(isSoftwareVulkanManifest)) {
  // only software drivers installed: name a hardware manifest too, so auto's manifest check lets Dawn load
  const fake = join(dir, 'nvidia_icd.json');
  writeFileSync(
    fake,
    '{"file_format_version":"1.0.0","ICD":{"library_path":"none.so","api_version":"1.3.0"}}',
  );
  process.env.VK_ADD_DRIVER_FILES = fake;
}

interface RealAdapter {
  info?: object;
}
let why = '';
try {
  const specifier: string = 'webgpu';
  installDawn((await import(specifier)) as DawnModule);
  const real = (globalThis as unknown as { navigator: { gpu: GpuLike } }).navigator.gpu;
  const adapter = await real.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) why = 'Dawn found no adapter';
  const injected: GpuLike = {
    requestAdapter: async (options) => {
      const a = await real.requestAdapter(options);
      if (!a) return null;
      return new Proxy(a, {
        get(target, prop) {
          if (prop === 'info')
            return {
              vendor: 'nvidia',
              architecture: 'hopper',
              device: '',
              description: 'NVIDIA H200 (injected)',
            };
          if (prop === 'isFallbackAdapter') return false;
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: injected },
    configurable: true,
    writable: true,
  });
} catch (error) {
  why = error instanceof Error ? error.message.split('\n')[0]! : String(error);
}
interface GpuLike {
  requestAdapter(options?: object): Promise<RealAdapter | null>;
}

describe.skipIf(why !== '')(`auto on a (reported) hardware adapter${why ? ` (skipped: ${why})` : ''}`, () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('picks webgpu, reports a GPU and the adapter, and installs the fused kernels', async () => {
    const report = await selectBackend('auto');
    expect(report).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu', device: 'gpu' });
    expect(report.adapter).toMatchObject({ vendor: 'nvidia', architecture: 'hopper', software: false });
    expect(report.notes.join('\n')).toMatch(
      /webgpu: nvidia hopper \(NVIDIA H200 \(injected\)\), hardware GPU/,
    );
    expect(report.notes.join('\n')).toMatch(/webgpu: fused WGSL kernels/);
    const y = tf.tidy(() => tf.sum(tf.mul(tf.ones([4]), 2)));
    expect((await y.data())[0]).toBe(8);
    y.dispose();
  });
});
