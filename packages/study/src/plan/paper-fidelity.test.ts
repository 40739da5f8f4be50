import { studyPreset } from '@procpt/paper';
import { describe, expect, it } from 'vitest';
import { planStudy } from './index.js';

// The `paper` preset is the paper's protocol (docs/reproduction.md, fidelity table): these are the facts of
// its code, as the plan hands them to the trainer.
describe('the paper preset plans the paper protocol', () => {
  const plan = planStudy(['diagnostics'], studyPreset('paper'), '/tmp/procpt-paper-fidelity');
  const run = (id: string) => {
    const r = plan.runs.find((x) => x.id === id);
    if (!r) throw new Error(`no run ${id} in ${plan.runs.map((x) => x.id).join(', ')}`);
    return r;
  };

  it("warms Dyck up with dyck.py's defaults and hands over the best checkpoint", () => {
    const dyck = run('pretrain/dyck-2_4_16-s42');
    expect(dyck.config).toMatchObject({
      seed: 42,
      steps: 1_000_000,
      model: { size: '2_4_16', nPositions: 128, tied: true, dropout: 0.1 },
      data: {
        train: { kind: 'procgen', type: 'dyck', params: { k: 16, length: 128, pOpen: 0.5 } },
        batchSize: 64,
        accumulation: 1,
      },
      optimizer: { lr: 5e-5, weightDecay: 0.01, gradClip: 1 },
      schedule: { kind: 'constant', warmupSteps: 0 },
      eval: { every: 100, batches: 10, patience: 0, metric: 'accuracy' },
      checkpoint: { best: true },
    });
    expect(dyck.config.data.train).not.toHaveProperty('curriculum');
    expect(dyck.config.optimizer).not.toHaveProperty('noDecay'); // torch AdamW: every parameter decays
    expect(dyck.weights).toBe('best');
  });

  it('shares one warm-up across fine-tune seeds; the run seed draws init and test set, the stream is fixed', () => {
    const finetunes = plan.runs.filter((r) => /^finetune\/haystack-dyck-s\d+$/.test(r.id));
    expect(finetunes.map((r) => r.seed)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const f of finetunes) {
      expect(f.deps).toEqual(['pretrain/dyck-2_4_16-s42']);
      expect(f.config.model.init).toMatchObject({
        from: 'transfer',
        path: '/tmp/procpt-paper-fidelity/pretrain/dyck-2_4_16-s42/best',
        parts: ['everything'],
      });
      expect(f.config.data.train).toEqual({ kind: 'diagnostic', task: 'haystack', streamSeed: 42 });
      expect(f.config).toMatchObject({
        recipe: 'diagnostic/haystack',
        steps: 10_000,
        data: { batchSize: 1000, eval: { testSize: 4000 } },
        eval: { every: 50 },
      });
    }
  });

  it('uses no recipe the paper did not run', () => {
    expect(studyPreset('paper').warmupByTask).toBeUndefined();
  });
});
