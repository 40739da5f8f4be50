import type { RunSummary } from '@procpt/eval';
import { describe, expect, it } from 'vitest';
import { planStudy } from './plan.js';
import { studyPreset } from './presets.js';
import { semanticRows } from './semantic-plan.js';

describe('semantic experiment', () => {
  it('plans one shared warm-up, then a baseline and a transferred run per domain and seed', () => {
    const preset = studyPreset('tiny');
    const plan = planStudy(['semantic'], preset, '/tmp/procpt-semantic-plan');
    const s = preset.semantic;
    const perDomain = preset.seeds.length * (1 + s.types.length);
    expect(plan.runs.filter((r) => r.stage === 'pretrain')).toHaveLength(s.types.length);
    expect(plan.runs.filter((r) => r.semantic)).toHaveLength(s.domains.length * perDomain);
    const transferred = plan.runs.find((r) => r.semantic?.domain === 'language' && r.deps.length === 1)!;
    expect(transferred.config.model).toMatchObject({
      vocabSize: 50257,
      init: { from: 'transfer', parts: ['attn', 'ffn', 'ln'], embeddingInit: 'random' },
    });
    expect(transferred.config.data.train).toMatchObject({ kind: 'shard', vocabSize: 50257 });
    const math = plan.runs.find((r) => r.semantic?.domain === 'math')!;
    expect(math.config.model.vocabSize).toBe(99);
  });

  it('reports tokens-to-baseline-loss against the seed-matched baseline', () => {
    const run = (procedural: string, seed: number, curve: [number, number][]): RunSummary => ({
      format: 'procpt.run-summary',
      version: 1,
      run: `${procedural}-${seed}`,
      seed,
      kind: 'semantic',
      task: 'language',
      procedural,
      metrics: { loss: curve.at(-1)![1] },
      curve: curve.map(([tokens, loss], i) => ({ step: i + 1, tokens, metrics: { loss } })),
    });
    const rows = semanticRows([
      run('none', 0, [
        [500, 3],
        [1000, 2],
      ]),
      run('union', 0, [
        [250, 2.5],
        [500, 2],
        [1000, 1.5],
      ]),
      run('set', 0, [
        [500, 3.5],
        [1000, 2.5],
      ]),
    ]);
    const union = rows.find((r) => r.pretraining === 'union')!;
    expect(union.tokensToBaselineLoss).toBe(500);
    expect(union.ratio).toBe(0.5);
    expect(union.finalLoss).toBe(1.5);
    const set = rows.find((r) => r.pretraining === 'set')!;
    expect(set.tokensToBaselineLoss).toBeNull();
    expect(set.ratio).toBeNull();
    expect(rows.find((r) => r.pretraining === 'none')?.ratio).toBe(1);
  });
});
