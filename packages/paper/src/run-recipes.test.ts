import { resolveData } from '@procpt/runner';
import { describe, expect, it } from 'vitest';
import { RUN_RECIPES, resolveRecipe, runRecipeNames } from './run-recipes.js';

describe('run recipes', () => {
  it('every procedural recipe names a valid procgen generator', async () => {
    for (const name of runRecipeNames().filter((n) => n.startsWith('procedural/'))) {
      const config = resolveRecipe({ recipe: name });
      const data = await resolveData(config.data.train, config.seed, 'train');
      expect(data.vocabSize, name).toBeGreaterThan(2);
      expect(data.length, name).toBeGreaterThan(2);
    }
  });

  it('ship every stage of the paper', () => {
    const names = runRecipeNames();
    for (const n of ['procedural/sort', 'procedural/dyck', 'diagnostic/haystack', 'semantic/c4']) {
      expect(names).toContain(n);
    }
  });

  it('reproduce the paper procedural config (sort.yaml / dyck.yaml)', () => {
    const sort = resolveRecipe({ recipe: 'procedural/sort' });
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
    const dyck = resolveRecipe({ recipe: 'procedural/dyck' });
    expect(dyck.data).toMatchObject({ batchSize: 4, accumulation: 8 });
    expect(dyck.steps).toBe(501);
  });

  it('diagnostic recipes follow the HF harness and can be overridden', () => {
    const c = resolveRecipe({ recipe: 'diagnostic/haystack', steps: 20, data: { batchSize: 8 } });
    expect(c).toMatchObject({
      steps: 20,
      model: { size: '2_4_16', tied: false, dropout: 0 },
      optimizer: { lr: 1e-3, weightDecay: 0.001, noDecay: ['bias', 'ln'] },
      schedule: { kind: 'cosine', warmupSteps: 500, minLrRatio: 0, floor: 'scale' },
      data: { batchSize: 8, train: { kind: 'diagnostic', task: 'haystack' } },
    });
  });

  it('semantic recipes need the shard path and say so', () => {
    expect(() => resolveRecipe({ recipe: 'semantic/c4' })).toThrow(/data\.train\.path/);
    const c = resolveRecipe({ recipe: 'semantic/c4', data: { train: { path: 'c4.bin' } } });
    expect(c.schedule).toMatchObject({ kind: 'cosine', minLrRatio: 0.1, floor: 'scale' });
    expect(c.data).toMatchObject({ batchSize: 4, accumulation: 8, length: 2049 });
    expect(() => resolveRecipe({ recipe: 'nope' })).toThrow(/unknown recipe/);
    expect(Object.keys(RUN_RECIPES).length).toBeGreaterThan(10);
  });
});
