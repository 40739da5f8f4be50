import { isProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { listBackends, selectBackend } from './backends.js';

// tfjs-node(-gpu) are optional peers that `pnpm install` never installs here; the tests below
// hold whether a machine lacks them (the usual case) or has them installed.
const installed = await listBackends({ probe: false });
const gpuMissing = installed.find((r) => r.name === 'tensorflow-gpu')?.status === 'missing';
const nativeRow = (await listBackends()).find((r) => r.name === 'procpt-native');
const nativeOk = nativeRow?.status === 'available';

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
    `auto falls through the missing packages to ${nativeOk ? 'procpt-native' : `wasm (procpt-native: ${nativeRow?.reason})`} and reports what runs`,
    async () => {
      const report = await selectBackend('auto');
      const want = nativeOk ? 'procpt-native' : 'wasm';
      expect(report.name).toBe(want);
      expect(tf.getBackend()).toBe(want);
      expect(report.device).toBe('cpu');
      expect(report.threads).toBeGreaterThanOrEqual(1);
      if (!nativeOk) expect(typeof report.simd).toBe('boolean');
      expect(report.notes.join('\n')).toMatch(
        /tensorflow-gpu: skipped, @tensorflow\/tfjs-node-gpu not installed/,
      );
      const y = tf.tidy(() => tf.sum(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2]))));
      expect((await y.data())[0]).toBe(24);
      y.dispose();
    },
  );

  it.runIf(nativeOk)(
    'explicit procpt-native registers the fused kernels and reports its threads',
    async () => {
      const report = await selectBackend('procpt-native');
      expect(report).toMatchObject({ name: 'procpt-native', tfBackend: 'procpt-native', device: 'cpu' });
      expect(report.threads).toBeGreaterThanOrEqual(1);
      expect(report.notes.join('\n')).toMatch(
        /procpt-native: \d+ threads, .+ kernels( \(this CPU also runs: .+\))? from the (prebuilt linux-(x64|arm64)|local build) binary, fused/,
      );
      expect(tf.getKernel('ProcptFusedAttention', 'procpt-native')).toBeDefined();
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
    expect(rows.map((r) => r.name)).toEqual([
      'tensorflow-gpu',
      'webgpu',
      'tensorflow',
      'procpt-native',
      'wasm',
      'cpu',
    ]);
    const webgpu = rows.find((r) => r.name === 'webgpu')!;
    expect(webgpu.needs).toMatch(/webgpu@0\.6\.2 and a Vulkan driver/);
    // available with the adapter it found, missing, or broken with Dawn's reason (e.g. no Vulkan driver)
    if (webgpu.status === 'available')
      expect(webgpu.detail).toMatch(
        /^adapter: .+(hardware GPU|CPU adapter)(; buffers up to [\d.]+ [MG]iB, bindings up to [\d.]+ [MG]iB)?$/,
      );
    else expect(webgpu.reason).toBeTruthy();
    for (const row of rows) expect(row.needs.length).toBeGreaterThan(10);
    expect(rows.find((r) => r.name === 'tensorflow-gpu')?.needs).toMatch(/CUDA 11\.2/);
    expect(rows.find((r) => r.name === 'wasm')).toMatchObject({ status: 'available' });
    expect(rows.find((r) => r.name === 'cpu')).toMatchObject({ status: 'available' });
    const native = rows.find((r) => r.name === 'procpt-native')!;
    // available, or broken with the addon's own reason (never a stack)
    if (native.status !== 'available') expect(native.reason).toMatch(/^procpt-native unavailable \(.+\)$/);
    // which binary and which CPU kernels, e.g. `AVX-512 (x86-64-v4) kernels (this CPU also runs: avx2, base)
    // from the prebuilt linux-x64 binary (/…/prebuilds/linux-x64/procpt_native.node)`
    else
      expect(native.detail).toMatch(
        /^.+ kernels.* from the (prebuilt [a-z0-9-]+|local build) binary \(\/.+\.node\)/,
      );
  });
});
