import { gptConfig, parameterCount } from '@procpt/model';
import { describe, expect, it } from 'vitest';
import { assertFitsOnWebGpu, largestTrainingTensor } from './gpu-memory.js';
import { defaultMemoryLimit } from './memory.js';

const MiB = 1024 ** 2;
// lavapipe's limits (Mesa 25) and an NVIDIA-like adapter's (4 GiB buffers and bindings)
const LAVAPIPE = { maxBufferSize: 2 ** 32 - 1, maxStorageBufferBindingSize: 128 * MiB };
const LARGE = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 32 - 4 };

const gpt2 = gptConfig('12_12_768', { vocabSize: 50257, nPositions: 1024 });
const haystack = gptConfig('2_4_16', { vocabSize: 256, nPositions: 63 });
const step = (config: typeof gpt2, batchSize: number, length: number, fused: boolean) => ({
  batchSize,
  length,
  accumulation: 1,
  parameters: parameterCount(config),
  fused,
});

describe('the webgpu memory guard', () => {
  it('never reasons about host RAM for webgpu', () => {
    expect(defaultMemoryLimit('webgpu')).toBe(Number.POSITIVE_INFINITY);
    expect(defaultMemoryLimit('cpu')).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  it('finds the largest tensor of a step', () => {
    expect(largestTrainingTensor(gpt2, step(gpt2, 8, 129, true))).toEqual({
      bytes: 50257 * 768 * 4,
      what: 'the embedding [50257, 768] (and its gradient and AdamW moments)',
    });
    // without the fused attention, GPT-2 small at T = 1024, B = 32 holds [32, 12, 1024, 1024] scores
    const unfused = largestTrainingTensor(gpt2, step(gpt2, 32, 1025, false));
    expect(unfused.bytes).toBe(32 * 12 * 1024 * 1024 * 4);
    expect(unfused.what).toMatch(/attention scores/);
    expect(largestTrainingTensor(gpt2, step(gpt2, 32, 1025, true)).what).toMatch(/MLP activation/);
    expect(largestTrainingTensor(haystack, step(haystack, 1000, 64, true)).what).toMatch(/MLP activation/);
  });

  it('refuses a tensor over the adapter’s binding limit, naming it and the limit', () => {
    // GPT-2 small's 154 MB embedding cannot be bound on lavapipe (128 MiB)
    expect(() => assertFitsOnWebGpu(gpt2, step(gpt2, 8, 129, true), 'run x', { limits: LAVAPIPE })).toThrow(
      /run x: the embedding \[50257, 768\] .* 147\.2 MiB, but this WebGPU adapter allows at most 128\.0 MiB \(maxStorageBufferBindingSize\)/,
    );
    expect(() =>
      assertFitsOnWebGpu(gpt2, step(gpt2, 8, 129, true), 'run x', { limits: LARGE }),
    ).not.toThrow();
    // the composite attention's scores at T = 1024 are 1.5 GiB: over a 1 GiB binding; the fused kernels fit
    const oneGiB = { maxBufferSize: 2 ** 32, maxStorageBufferBindingSize: 2 ** 30 };
    expect(() => assertFitsOnWebGpu(gpt2, step(gpt2, 32, 1025, false), 'run y', { limits: oneGiB })).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/attention scores \[32, 12, 1024, 1024\]/),
        hint: expect.stringMatching(/fused WGSL kernels/),
      }),
    );
    expect(() =>
      assertFitsOnWebGpu(gpt2, step(gpt2, 32, 1025, true), 'run y', { limits: oneGiB }),
    ).not.toThrow();
    expect(() => assertFitsOnWebGpu(gpt2, step(gpt2, 8, 129, true), 'run x', { limits: LAVAPIPE })).toThrow(
      expect.objectContaining({ code: 'config' }),
    );
  });

  it('checks the total against an explicit GPU memory limit only', () => {
    const s = step(haystack, 1000, 64, true);
    const estimate = assertFitsOnWebGpu(haystack, s, 'run h', { limits: LARGE });
    expect(estimate.total).toBeGreaterThan(0);
    expect(() =>
      assertFitsOnWebGpu(haystack, s, 'run h', { limits: LARGE, gpuMemoryBytes: estimate.total - 1 }),
    ).toThrow(
      expect.objectContaining({
        code: 'config',
        message: expect.stringMatching(/of GPU memory .* but the GPU memory limit is/),
        hint: expect.stringMatching(/guards\.gpuMemoryMB \(procpt train --gpu-memory\)/),
      }),
    );
    expect(() =>
      assertFitsOnWebGpu(haystack, s, 'run h', { limits: LARGE, gpuMemoryBytes: estimate.total }),
    ).not.toThrow();
    // the fused attention keeps no [B, H, T, T]: its estimate is smaller
    const composite = assertFitsOnWebGpu(haystack, { ...s, fused: false }, 'run h');
    expect(composite.activations).toBeGreaterThan(estimate.activations);
  });
});
