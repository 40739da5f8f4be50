import { Gpt, type GptConfig, gptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { loadParityFixture, relErr } from '../../../scripts/test-support/parity-fixture.js';
import { listBackends, selectBackend } from './backends.js';
import { computeGradients } from './step.js';
import { affineSource } from './test-data.js';
import { adamwParityWorst } from './testing/adamw-parity.js';
import { Trainer } from './trainer.js';
import { adapterLabel, describeAdapter, initWebGpuRuntime, watchWebGpuErrors } from './webgpu.js';

describe('describeAdapter', () => {
  it('flags fallback and software rasterisers, keeps hardware GPUs', () => {
    const lavapipe = describeAdapter({
      info: {
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15-0-6-256-bits-',
        description: 'llvmpipe: Mesa 25.0.7',
        isFallbackAdapter: true,
      },
    });
    expect(lavapipe.software).toBe(true);
    expect(adapterLabel(lavapipe)).toBe('mesa software (llvmpipe: Mesa 25.0.7), software/CPU adapter');
    // by name alone, for Dawn builds without isFallbackAdapter
    expect(describeAdapter({ info: { vendor: 'google', device: 'SwiftShader Device' } }).software).toBe(true);
    expect(describeAdapter({ isFallbackAdapter: true }).software).toBe(true);
    const h200 = describeAdapter({
      info: { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' },
    });
    expect(h200).toEqual({
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '',
      description: 'NVIDIA H200',
      software: false,
    });
    expect(adapterLabel(h200)).toBe('nvidia hopper (NVIDIA H200), hardware GPU');
    expect(adapterLabel(describeAdapter({}))).toBe('unknown vendor (unnamed device), hardware GPU');
  });
});

// Runs where the optional packages are installed and Dawn finds a Vulkan adapter (a GPU, or Mesa >= 23
// lavapipe on the CPU; bookworm's Mesa 22 lavapipe lacks a feature Dawn requires).
const why = await initWebGpuRuntime().then(
  () => '',
  (e: unknown) => (e instanceof Error ? e.message.split('\n')[0]! : String(e)),
);

describe.skipIf(why !== '')(`webgpu backend${why ? ` (skipped: ${why})` : ''}`, () => {
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it('is selected explicitly and reports its adapter', async () => {
    const report = await selectBackend('webgpu');
    expect(report).toMatchObject({ name: 'webgpu', tfBackend: 'webgpu' });
    expect(report.adapter).toBeDefined();
    expect(report.device).toBe(report.adapter!.software ? 'cpu' : 'gpu');
    expect(report.notes.join('\n')).toMatch(/webgpu: .+, (software\/CPU adapter|hardware GPU)/);
  });

  it('lists the adapter with its vendor, software flag and buffer limits', async () => {
    const row = (await listBackends()).find((r) => r.name === 'webgpu')!;
    expect(row.status).toBe('available');
    expect(row.adapter).toMatchObject({ software: expect.any(Boolean) });
    expect(row.adapter!.limits!.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(row.detail).toMatch(
      /^adapter: .+, (software\/CPU adapter|hardware GPU); buffers up to .+, bindings up to /,
    );
  });

  it('sums more tensors than a shader has storage buffers (patched AddN)', async () => {
    await selectBackend('webgpu');
    const before = tf.memory().numTensors;
    const xs = Array.from({ length: 29 }, (_, i) => tf.fill([3], i + 1));
    const sum = tf.addN(xs);
    expect(Array.from(await sum.data())).toEqual([435, 435, 435]);
    tf.dispose([...xs, sum]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('counts GPU validation errors, which WebGPU reports as events and not as exceptions', async () => {
    await selectBackend('webgpu');
    const device = (
      tf.backend() as unknown as { device: { limits: { maxStorageBufferBindingSize: number } } }
    ).device;
    const limit = device.limits.maxStorageBufferBindingSize;
    const log = watchWebGpuErrors();
    expect(watchWebGpuErrors()).toBe(log);
    const before = log.count;
    // one float32 tensor just over the binding limit (lavapipe: 128 MiB); skipped on GPUs with larger limits
    if (limit > 256 * 1024 * 1024) return;
    const y = tf.tidy(() => tf.add(tf.ones([limit / 4 + 256]), 1));
    await y.data();
    y.dispose();
    expect(log.count).toBeGreaterThan(before);
    expect(log.first).toMatch(/larger than the maximum storage buffer binding size/);
  });

  it('gives the loss, gradients and norm of the cpu backend, without leaks', async () => {
    const config = { ...gptConfig('2_4_32', { vocabSize: 50, nPositions: 16 }), dropout: 0 };
    const batch = {
      tokens: Int32Array.from({ length: 48 }, (_, i) => (i * 7 + 3) % 50),
      loss: Uint8Array.from({ length: 48 }, (_, i) => (i % 3 === 0 ? 0 : 1)),
      batch: 3,
      length: 16,
    };
    await selectBackend('cpu');
    const seedModel = Gpt.create(config, { seed: 1 });
    const weights = new Map<string, Float32Array>();
    for (const [n, v] of seedModel.params) weights.set(n, (await v.data()) as Float32Array);
    seedModel.dispose();
    const run = async (backend: 'cpu' | 'webgpu') => {
      await selectBackend(backend);
      const model = Gpt.fromWeights(config, weights);
      const names = [...model.params.keys()];
      const before = tf.memory().numTensors;
      const g = computeGradients(model, [batch], names, { maxNorm: 1, dropoutSeeds: [0], training: false });
      const grads = new Map<string, Float32Array>();
      for (const n of names) grads.set(n, (await g.grads[n]!.data()) as Float32Array);
      const out = { loss: (await g.loss.data())[0]!, norm: (await g.norm.data())[0]!, grads };
      tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
      return out;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    expect(Math.abs(gpu.loss - cpu.loss) / cpu.loss).toBeLessThan(1e-5);
    expect(Math.abs(gpu.norm - cpu.norm) / cpu.norm).toBeLessThan(1e-5);
    let worst = 0;
    for (const [n, g] of cpu.grads) worst = Math.max(worst, relErr(gpu.grads.get(n)!, g));
    expect(worst).toBeLessThan(1e-4);
  });

  it('matches the PyTorch AdamW fixture for 3 steps', async () => {
    await selectBackend('webgpu');
    const fixture = loadParityFixture<GptConfig>();
    for (const c of fixture.cases) {
      const worst = await adamwParityWorst(c, fixture.adamwConfig);
      expect(worst).toBeLessThan(1e-5);
    }
  });

  it('trains through the Trainer: loss falls, no tensor leaks', async () => {
    await selectBackend('webgpu');
    const model = Gpt.create(gptConfig('1_2_16', { vocabSize: 16, nPositions: 16, dropout: 0 }), { seed: 3 });
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    const trainer = new Trainer({
      model,
      data: affineSource(16),
      batchSize: 4,
      length: 12,
      accumulation: 2,
      steps: 12,
      trainable: [...model.params.keys()],
      optimizer: {
        lr: 1e-2,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0.01,
        noDecay: [],
        gradClip: 1,
      },
      schedule: { kind: 'cosine', warmupSteps: 2, totalSteps: 12, minLrRatio: 0.1, floor: 'scale' },
      seed: 5,
      progress: false,
      onStep: (m) => {
        losses.push(m.loss);
      },
    });
    await trainer.run();
    trainer.dispose();
    expect(losses).toHaveLength(12);
    expect(losses.at(-1)!).toBeLessThan(losses[0]! * 0.8);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
