import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { listBackends, selectBackend } from './backends.js';
import { gpuDeviceNodes, isSoftwareVulkanManifest, vulkanDriverManifests } from './webgpu.js';

const dir = mkdtempSync(join(tmpdir(), 'procpt-vk-'));
function manifest(name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    '{"file_format_version":"1.0.0","ICD":{"library_path":"none.so","api_version":"1.3.0"}}',
  );
  return path;
}
const nvidia = manifest('nvidia_icd.json');
const lavapipe = manifest('lvp_icd.x86_64.json');
// a /dev with one NVIDIA GPU node, for the tests where a hardware driver and device are "installed"
const fakeDev = join(dir, 'dev');
mkdirSync(join(fakeDev, 'dri'), { recursive: true });
writeFileSync(join(fakeDev, 'nvidia0'), '');
writeFileSync(join(fakeDev, 'nvidiactl'), '');
process.env.PROCPT_DEV_DIR = fakeDev;

describe('vulkanDriverManifests', () => {
  it('takes the listed files, else the icd.d folders of the XDG dirs and /etc', () => {
    expect(vulkanDriverManifests({ VK_ICD_FILENAMES: `${nvidia}:/nonexistent.json` })).toEqual([nvidia]);
    expect(vulkanDriverManifests({ VK_DRIVER_FILES: lavapipe, VK_ICD_FILENAMES: nvidia })).toEqual([
      lavapipe,
    ]);
    const data = join(dir, 'share');
    mkdirSync(join(data, 'vulkan', 'icd.d'), { recursive: true });
    writeFileSync(join(data, 'vulkan', 'icd.d', 'radeon_icd.x86_64.json'), '{}');
    const found = vulkanDriverManifests({ XDG_DATA_DIRS: data, XDG_CONFIG_DIRS: join(dir, 'none') });
    expect(found).toContain(join(data, 'vulkan', 'icd.d', 'radeon_icd.x86_64.json'));
  });

  it('finds GPU device nodes: /dev/nvidia<N> and /dev/dri/renderD*', () => {
    expect(gpuDeviceNodes({ PROCPT_DEV_DIR: fakeDev })).toEqual([join(fakeDev, 'nvidia0')]);
    writeFileSync(join(fakeDev, 'dri', 'renderD128'), '');
    writeFileSync(join(fakeDev, 'dri', 'card0'), '');
    expect(gpuDeviceNodes({ PROCPT_DEV_DIR: fakeDev })).toEqual([
      join(fakeDev, 'nvidia0'),
      join(fakeDev, 'dri', 'renderD128'),
    ]);
    expect(gpuDeviceNodes({ PROCPT_DEV_DIR: join(dir, 'nodev') })).toEqual([]);
  });

  it('recognises software drivers by their manifest name', () => {
    expect(isSoftwareVulkanManifest('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json')).toBe(true);
    expect(isSoftwareVulkanManifest('/opt/vk_swiftshader_icd.json')).toBe(true);
    expect(isSoftwareVulkanManifest('/usr/share/vulkan/icd.d/nvidia_icd.json')).toBe(false);
    expect(isSoftwareVulkanManifest('/usr/share/vulkan/icd.d/intel_icd.x86_64.json')).toBe(false);
  });
});

// A stand-in navigator.gpu (set before anything creates Dawn's) drives `auto` deterministically on any
// machine; it only needs the optional packages installed. vitest runs each test file in its own process.
const installed = (await listBackends({ probe: false })).find((r) => r.name === 'webgpu');
let adapterInfo: Record<string, unknown> = {};
let requests = 0;
Object.defineProperty(globalThis, 'navigator', {
  value: {
    gpu: {
      requestAdapter: async () => {
        requests++;
        // no features/limits/requestDevice: tfjs's device request fails like a broken driver would
        return { info: adapterInfo };
      },
    },
  },
  configurable: true,
  writable: true,
});

describe.skipIf(installed?.status !== 'available')('auto and the webgpu adapter', () => {
  it('skips webgpu without loading Dawn when only software Vulkan drivers are installed', async () => {
    process.env.VK_ICD_FILENAMES = lavapipe;
    const report = await selectBackend('auto');
    expect(['procpt-native', 'wasm']).toContain(report.name);
    expect(report.notes).toContain(
      'webgpu: only software Vulkan drivers (lvp_icd.x86_64.json); auto skips them (--backend webgpu forces it)',
    );
    expect(requests).toBe(0);
  });

  it('skips webgpu without loading Dawn when hardware drivers are installed but no GPU device exists', async () => {
    process.env.VK_ICD_FILENAMES = nvidia;
    process.env.PROCPT_DEV_DIR = join(dir, 'nodev');
    const before = requests;
    try {
      const report = await selectBackend('auto');
      expect(['procpt-native', 'wasm']).toContain(report.name);
      expect(report.notes.join('\n')).toMatch(/webgpu: no GPU device node/);
      expect(requests).toBe(before);
    } finally {
      process.env.PROCPT_DEV_DIR = fakeDev;
    }
  });

  it('skips webgpu when no Vulkan driver is installed', async () => {
    process.env.VK_ICD_FILENAMES = join(dir, 'missing.json');
    process.env.XDG_DATA_DIRS = join(dir, 'empty');
    process.env.XDG_CONFIG_DIRS = join(dir, 'empty');
    const report = await selectBackend('auto');
    if (process.platform === 'linux' && vulkanDriverManifests().length === 0) {
      expect(report.notes.join('\n')).toMatch(/webgpu: .*no Vulkan driver installed/);
      expect(requests).toBe(0);
    }
    delete process.env.XDG_DATA_DIRS;
    delete process.env.XDG_CONFIG_DIRS;
  });

  it('skips a software adapter, saying why, and falls through to a CPU backend', async () => {
    process.env.VK_ICD_FILENAMES = nvidia; // a hardware driver is installed, but the adapter is software
    adapterInfo = {
      vendor: 'mesa',
      architecture: 'software',
      description: 'llvmpipe',
      isFallbackAdapter: true,
    };
    const report = await selectBackend('auto');
    expect(['procpt-native', 'wasm']).toContain(report.name);
    expect(report.notes).toContain(
      'webgpu: adapter mesa software (llvmpipe), software/CPU adapter is not a GPU; auto skips it (--backend webgpu forces it)',
    );
    // the tfjs webgpu backend was never imported, so it never became tfjs's highest-priority backend
    expect(tf.findBackendFactory('webgpu')).toBeNull();
  });

  it('tries a hardware adapter before the CPU backends and falls through when it fails', async () => {
    adapterInfo = { vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
    const before = requests;
    const report = await selectBackend('auto');
    expect(requests).toBeGreaterThan(before); // tfjs asked for the device
    expect(['procpt-native', 'wasm']).toContain(report.name);
    expect(report.notes.join('\n')).toMatch(
      /webgpu: backend webgpu \(@tensorflow\/tfjs-backend-webgpu\) failed to load/,
    );
  });

  it('an explicit webgpu request on a failing adapter is a backend error', async () => {
    await expect(selectBackend('webgpu')).rejects.toMatchObject({ code: 'backend' });
  });
});
