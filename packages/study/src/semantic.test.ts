import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunSummary } from '@procpt/eval';
import { describe, expect, it } from 'vitest';
import { runStudy } from './execute.js';
import { planStudy } from './plan/index.js';
import { studyPreset } from '@procpt/paper';
import { semanticRows } from './semantic.js';

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
    // math trains and validates on answer characters of DM-Math problems, as the paper does
    expect(math.config.data.train).toMatchObject({ kind: 'dm-math', part: 'train' });
    expect(math.config.data.eval).toMatchObject({ kind: 'dm-math', part: 'interpolate' });
  });

  it('trains math on DM-Math answers and scores problem accuracy on the interpolate split', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-semantic-math-'));
    try {
      const preset = studyPreset('tiny');
      preset.seeds = [0];
      preset.semantic = {
        ...preset.semantic,
        domains: ['math'],
        types: [],
        steps: 3,
        batchSize: 2,
        evalEvery: 3,
        mathPerModule: 4,
      };
      const plan = planStudy(['semantic'], preset, dir);
      expect(plan.runs.map((r) => r.id)).toEqual(['finetune/semantic-math-none-s0']);
      await runStudy(plan, { backend: 'wasm', progress: false });
      const result = JSON.parse(await readFile(join(plan.runs[0]!.dir, 'result.json'), 'utf8'));
      expect(result).toMatchObject({ kind: 'semantic', task: 'math', procedural: 'none' });
      expect(result.metrics.loss).toBeGreaterThan(0);
      for (const m of ['problemAccuracy', 'exactMatch', 'answerTokenAccuracy']) {
        expect(result.metrics[m], m).toBeGreaterThanOrEqual(0);
        expect(result.metrics[m], m).toBeLessThanOrEqual(1);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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
