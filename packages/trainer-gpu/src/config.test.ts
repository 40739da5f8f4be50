import { describe, expect, it } from 'vitest';
import { applySets, parseRunConfig } from './config.js';
import { PRESETS, presetNames, resolveRunConfig } from './presets.js';

const minimal = {
  name: 'tiny',
  steps: 10,
  model: { size: '1_2_16' },
  data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 4 },
  optimizer: { lr: 1e-3 },
};

describe('RunConfig', () => {
  it('fills defaults', () => {
    const c = parseRunConfig(minimal);
    expect(c.seed).toBe(42);
    expect(c.backend).toBe('auto');
    expect(c.optimizer).toMatchObject({ beta1: 0.9, beta2: 0.999, eps: 1e-8, gradClip: 1, noDecay: [] });
    expect(c.schedule).toEqual({ kind: 'constant', warmupSteps: 0, minLrRatio: 0.1, floor: 'clamp' });
    expect(c.model.init).toEqual({ from: 'scratch' });
    expect(c.data.accumulation).toBe(1);
  });

  it('rejects bad configs naming the field', () => {
    const bad = (patch: unknown) => () => parseRunConfig(applySets(minimal, [patch as string]));
    expect(bad('optimizer.lr=-1')).toThrow(/optimizer\.lr/);
    expect(bad('data.batchSize=0')).toThrow(/data\.batchSize/);
    expect(bad('model.size=big')).toThrow(/model\.size/);
    expect(bad('schedule.kind=exponential')).toThrow(/schedule\.kind/);
    expect(bad('data.train.kind=csv')).toThrow(/data\.train\.kind/);
    expect(bad('optimizer.noDecay=[bias,weights]')).toThrow(/optimizer\.noDecay\[1\]/);
    expect(bad('name=../escape')).toThrow(/name/);
    expect(() => parseRunConfig({ ...minimal, optimizr: {} })).toThrow(/optimizr/);
    expect(() => parseRunConfig({ ...minimal, steps: undefined })).toThrow(/steps/);
    try {
      parseRunConfig({ ...minimal, steps: 1.5 });
    } catch (e) {
      expect(e).toMatchObject({ code: 'config', exitCode: 2 });
    }
  });

  it('applies --set overrides as YAML values', () => {
    const c = parseRunConfig(
      applySets(minimal, [
        'optimizer.lr=3e-4',
        'model.trainable=[attn, ffn]',
        'optimizer.gradClip=null',
        'seed=7',
      ]),
    );
    expect(c.optimizer.lr).toBe(3e-4);
    expect(c.model.trainable).toEqual(['attn', 'ffn']);
    expect(c.optimizer.gradClip).toBeNull();
    expect(c.seed).toBe(7);
    expect(() => applySets(minimal, ['novalue'])).toThrow(/key\.path=value/);
    expect(() => applySets(minimal, ['__proto__.x=1'])).toThrow(/bad key path/);
  });
});

describe('presets', () => {
  it('ship every stage of the paper', () => {
    const names = presetNames();
    for (const n of ['procedural/sort', 'procedural/dyck', 'diagnostic/haystack', 'semantic/c4']) {
      expect(names).toContain(n);
    }
  });

  it('reproduce the paper procedural config (sort.yaml / dyck.yaml)', () => {
    const sort = resolveRunConfig({ preset: 'procedural/sort' });
    expect(sort).toMatchObject({
      seed: 42,
      steps: 2501,
      model: { size: '12_12_768', dropout: 0.1, tied: true },
      data: { batchSize: 64, accumulation: 1 },
      optimizer: { lr: 5e-4, weightDecay: 0.1, noDecay: [], gradClip: 1 },
      schedule: { kind: 'constant', warmupSteps: 0 },
      eval: { every: 500, batches: 10, patience: 50 },
      checkpoint: { every: 500, keep: 20 },
    });
    const dyck = resolveRunConfig({ preset: 'procedural/dyck' });
    expect(dyck.data).toMatchObject({ batchSize: 4, accumulation: 8 });
    expect(dyck.steps).toBe(501);
  });

  it('diagnostic presets follow the HF harness and can be overridden', () => {
    const c = resolveRunConfig({ preset: 'diagnostic/haystack', steps: 20, data: { batchSize: 8 } });
    expect(c).toMatchObject({
      steps: 20,
      model: { size: '2_4_16', tied: false, dropout: 0 },
      optimizer: { lr: 1e-3, weightDecay: 0.001, noDecay: ['bias', 'ln'] },
      schedule: { kind: 'cosine', warmupSteps: 500, minLrRatio: 0, floor: 'scale' },
      data: { batchSize: 8, train: { kind: 'diagnostic', task: 'haystack' } },
    });
  });

  it('semantic presets need the shard path and say so', () => {
    expect(() => resolveRunConfig({ preset: 'semantic/c4' })).toThrow(/data\.train\.path/);
    const c = resolveRunConfig({ preset: 'semantic/c4', data: { train: { path: 'c4.bin' } } });
    expect(c.schedule).toMatchObject({ kind: 'cosine', minLrRatio: 0.1, floor: 'scale' });
    expect(c.data).toMatchObject({ batchSize: 4, accumulation: 8, length: 2049 });
    expect(() => resolveRunConfig({ preset: 'nope' })).toThrow(/unknown preset/);
    expect(Object.keys(PRESETS).length).toBeGreaterThan(10);
  });
});
