import { describe, expect, it } from 'vitest';
import { applySets, parseRunConfig } from './config.js';
import { type RunRecipes, resolveRunConfig } from './recipes.js';

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

describe('resolveRunConfig', () => {
  const recipes: RunRecipes = {
    'my/recipe': {
      ...minimal,
      name: 'from-recipe',
      steps: 7,
      data: { ...minimal.data, train: { kind: 'diagnostic', task: 'addition' } },
    },
  };

  it('layers a config over the recipe it names', () => {
    const c = resolveRunConfig({ recipe: 'my/recipe', steps: 3 }, { recipes });
    expect(c).toMatchObject({ name: 'from-recipe', steps: 3, recipe: 'my/recipe' });
    expect(resolveRunConfig(minimal).steps).toBe(10);
  });

  it('names an unknown recipe, and the old "preset" field, with the fix', () => {
    expect(() => resolveRunConfig({ recipe: 'nope' }, { recipes })).toThrow(/unknown recipe "nope"/);
    expect(() => resolveRunConfig({ recipe: 'my/recipe' })).toThrow(/unknown recipe/);
    expect(() => resolveRunConfig({ preset: 'my/recipe' }, { recipes, where: 'a.yaml' })).toThrow(
      /a\.yaml: the field "preset" is now called "recipe"/,
    );
  });
});

describe('guards', () => {
  it('guards.gpuMemoryMB is a positive number in the run config', () => {
    const base = {
      name: 'tiny',
      steps: 10,
      model: { size: '1_2_16' },
      data: { train: { kind: 'diagnostic', task: 'addition' }, batchSize: 4 },
      optimizer: { lr: 1e-3 },
    };
    expect(parseRunConfig({ ...base, guards: { gpuMemoryMB: 80_000 } }).guards.gpuMemoryMB).toBe(80_000);
    expect(() => parseRunConfig({ ...base, guards: { gpuMemoryMB: 0 } })).toThrow(/gpuMemoryMB/);
  });
});
