import { isProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { listBackends, selectBackend } from './backends.js';

// tfjs-node(-gpu) are optional peers that `pnpm install` never installs here; the tests below
// hold whether a machine lacks them (the usual case) or has them installed.
const installed = await listBackends({ probe: false });
const gpuMissing = installed.find((r) => r.name === 'tensorflow-gpu')?.status === 'missing';

describe('selectBackend', () => {
  it.runIf(gpuMissing)('explains what to install when tensorflow-gpu is requested but missing', async () => {
    const error = await selectBackend('tensorflow-gpu').catch((e: unknown) => e);
    expect(isProcptError(error)).toBe(true);
    const e = error as { code: string; message: string; hint: string };
    expect(e.code).toBe('backend');
    expect(e.message).toMatch(/@tensorflow\/tfjs-node-gpu, which is not installed/);
    expect(e.hint).toMatch(/CUDA 11\.2/);
    expect(e.hint).toMatch(/cuDNN 8\.1/);
    expect(e.hint).toMatch(/libtensorflow/);
  });

  it('rejects unknown names as usage errors', async () => {
    await expect(selectBackend('tpu' as never)).rejects.toMatchObject({ code: 'usage' });
  });

  it.runIf(gpuMissing && installed.find((r) => r.name === 'tensorflow')?.status === 'missing')(
    'auto falls through the missing packages to wasm and reports what runs',
    async () => {
      const report = await selectBackend('auto');
      expect(report.name).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(report.device).toBe('cpu');
      expect(report.threads).toBeGreaterThanOrEqual(1);
      expect(typeof report.simd).toBe('boolean');
      expect(report.notes.join('\n')).toMatch(
        /tensorflow-gpu: skipped, @tensorflow\/tfjs-node-gpu not installed/,
      );
      const y = tf.tidy(() => tf.sum(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))));
      expect((await y.data())[0]).toBe(24);
      y.dispose();
    },
  );

  it('explicit cpu works', async () => {
    const report = await selectBackend('cpu');
    expect(report).toMatchObject({ name: 'cpu', tfBackend: 'cpu', device: 'cpu' });
  });
});

describe('listBackends', () => {
  it('lists every backend with its status and needs', async () => {
    const rows = await listBackends();
    expect(rows.map((r) => r.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    for (const row of rows) expect(row.needs.length).toBeGreaterThan(10);
    expect(rows.find((r) => r.name === 'tensorflow-gpu')?.needs).toMatch(/CUDA 11\.2/);
    expect(rows.find((r) => r.name === 'wasm')).toMatchObject({ status: 'available' });
    expect(rows.find((r) => r.name === 'cpu')).toMatchObject({ status: 'available' });
  });
});
