import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { listBackends, selectBackend } from './backends.js';

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
  it('skips a software adapter, saying why, and falls through to a CPU backend', async () => {
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
