import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimatePlan } from './estimate.js';
import { runStudy } from './execute.js';
import { EXPERIMENTS, parseExperiments, planStudy } from './plan/index.js';
import { studyPreset } from '@procpt/paper';
import { writeReport } from './report.js';
import { runStatus } from './run-state.js';
import { microPreset } from './testing/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-study-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('planStudy', () => {
  it('shares one warm-up per type and shape across seeds and experiments, deps before dependents', () => {
    const plan = planStudy(
      ['diagnostics', 'transfer-parts', 'assembly'],
      studyPreset('tiny'),
      join(dir, 'p'),
    );
    const ids = plan.runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('pretrain/dyck-'))).toEqual(['pretrain/dyck-2_4_16-s42']);
    const dyckUsers = plan.runs.filter((r) => r.deps.includes('pretrain/dyck-2_4_16-s42'));
    // 2 tasks × 2 seeds (diagnostics) + attn/ffn on haystack × 2 seeds (transfer-parts)
    expect(dyckUsers).toHaveLength(8);
    const seen = new Set<string>();
    for (const r of plan.runs) {
      for (const d of r.deps) expect(seen.has(d)).toBe(true);
      seen.add(r.id);
    }
    const base = plan.runs.find((r) => r.id === 'finetune/haystack-none-s0');
    expect(base?.experiments).toEqual(['diagnostics', 'transfer-parts', 'assembly']);
    const shuffled = plan.runs.find((r) => r.id === 'finetune/haystack-shuffled-dyck-s1');
    expect(shuffled?.result).toMatchObject({ procedural: 'dyck', shuffled: true, transfer: 'everything' });
    expect(shuffled?.config.model).toMatchObject({ init: { from: 'transfer', embeddingInit: 'average' } });
  });

  it('uses a task-specific recipe (its own run, dropout and context) only for the task that names it', () => {
    const preset = studyPreset('tiny');
    preset.warmupByTask = {
      haystack: {
        dyck: { name: 'k4', params: { k: 4, length: 64 }, steps: 7, batchSize: 8, lr: 3e-3, dropout: 0 },
      },
    };
    const plan = planStudy(['diagnostics'], preset, join(dir, 'by-task'));
    const warmups = plan.runs.filter((r) => r.stage === 'pretrain').map((r) => r.id);
    expect(warmups).toContain('pretrain/dyck-2_4_16-k4-s42');
    expect(warmups).toContain('pretrain/shuffled-dyck-2_4_16-k4-s42');
    const own = plan.runs.find((r) => r.id === 'pretrain/dyck-2_4_16-k4-s42')!;
    expect(own.config).toMatchObject({ steps: 7, model: { dropout: 0, tied: true } });
    expect(own.config.data.train).toMatchObject({ type: 'dyck', params: { k: 4, length: 64 } });
    const haystack = plan.runs.find((r) => r.id === 'finetune/haystack-dyck-s0')!;
    expect(haystack.deps).toEqual(['pretrain/dyck-2_4_16-k4-s42']);
    // reversed-addition keeps the preset's Dyck recipe (k = 8, dropout 0.1)
    const other = plan.runs.find((r) => r.id === 'finetune/reversed-addition-dyck-s0')!;
    const otherWarmup = plan.runs.find((r) => r.id === other.deps[0])!;
    expect(otherWarmup.id).not.toContain('k4');
    expect(otherWarmup.config).toMatchObject({ model: { dropout: 0.1 } });
    expect(otherWarmup.config.data.train).toMatchObject({ params: { k: 8 } });
  });

  it("passes a recipe's length curriculum to its warm-up, not to the shuffled control", () => {
    const preset = studyPreset('tiny');
    preset.warmupByTask = {
      haystack: {
        dyck: {
          name: 'k64cur',
          params: { k: 64, length: 128 },
          steps: 9,
          batchSize: 8,
          lr: 3e-3,
          curriculum: { start: 2, step: 2, threshold: 0.99 },
        },
      },
    };
    const plan = planStudy(['diagnostics'], preset, join(dir, 'curriculum'));
    const own = plan.runs.find((r) => r.id === 'pretrain/dyck-2_4_16-k64cur-s42')!;
    expect(own.config.data.train).toMatchObject({
      type: 'dyck',
      curriculum: { start: 2, step: 2, threshold: 0.99 },
    });
    expect(own.config.data.eval).not.toHaveProperty('curriculum');
    const control = plan.runs.find((r) => r.id === 'pretrain/shuffled-dyck-2_4_16-k64cur-s42')!;
    expect(control.config.data.train).not.toHaveProperty('curriculum');
    // the warm-up model is built for the final length, not the first stage
    expect(own.shape.nPositions).toBeGreaterThanOrEqual(127);
  });

  it('gives every warm-up of every preset enough positions for its rows', () => {
    for (const name of ['tiny', 'quick', 'paper']) {
      const plan = planStudy(
        ['diagnostics', 'transfer-parts', 'assembly', 'mixtures', 'semantic'],
        studyPreset(name),
        join(dir, `pos-${name}`),
      );
      for (const r of plan.runs.filter((run) => run.stage === 'pretrain')) {
        expect(r.shape.nPositions, `${name} ${r.id}`).toBeGreaterThanOrEqual(r.shape.length - 1);
        expect(r.config.model.nPositions, `${name} ${r.id}`).toBe(r.shape.nPositions);
      }
    }
    // a warm-up planned only for reversed addition (40 positions) still fits rule-110 rows of 132 tokens
    const preset = studyPreset('quick');
    preset.diagnostics = { types: ['eca'], tasks: ['reversed-addition'], shuffled: [] };
    const eca = planStudy(['diagnostics'], preset, join(dir, 'pos-eca')).runs.find(
      (r) => r.stage === 'pretrain',
    )!;
    expect(eca.shape).toMatchObject({ length: 132, nPositions: 131 });
  });

  it('rejects unknown experiments, presets and recipes with usage errors', () => {
    expect(parseExperiments('all')).toEqual([...EXPERIMENTS]);
    expect(() => parseExperiments('diagnostics,nope')).toThrow(/unknown experiment "nope"/);
    expect(() => studyPreset('huge')).toThrow(/unknown study preset/);
    expect(() => studyPreset('tiny', { warmup: { brandnew: { steps: 3 } } })).toThrow(
      /needs steps, batchSize and lr/,
    );
    const p = studyPreset('quick', {
      warmup: { dyck: { steps: 2000, params: { k: 4 } } },
      semanticSize: '1.3B',
    });
    expect(p.warmup.dyck).toMatchObject({ steps: 2000, params: { k: 4, length: 128 } });
    // quick's haystack-specific Dyck recipe gives way to the user's override
    expect(studyPreset('quick').warmupByTask?.haystack?.dyck).toMatchObject({
      params: { k: 4 },
      steps: 4000,
    });
    expect(p.warmupByTask?.haystack?.dyck).toBeUndefined();
    // the searched Delete recipe (issue 10) feeds haystack in quick; paper runs the paper's own recipes only
    expect(studyPreset('quick').warmupByTask?.haystack?.delete).toMatchObject({
      name: 'delete-V100-L16-attn',
      params: { vocabSize: 100, length: 16 },
      steps: 6000,
    });
    expect(studyPreset('paper').warmupByTask).toBeUndefined();
    expect(studyPreset('quick').diagnostics.types).toContain('delete');
    expect(p.semantic.size).toBe('24_16_2048');
  });
});

describe('a tiny study end to end', () => {
  it('runs, skips when complete, estimates, and reports next to the paper', async () => {
    const out = join(dir, 'e2e');
    const preset = microPreset();
    // the Dyck warm-up runs with a length curriculum (checked every 2 of its 6 steps)
    preset.warmup.dyck = { ...preset.warmup.dyck!, curriculum: { every: 2 } };
    const plan = planStudy(['diagnostics', 'assembly'], preset, out);
    expect(plan.runs.map((r) => r.id).sort()).toEqual(
      [
        'pretrain/dyck-2_4_16-s42',
        'pretrain/set-2_4_16-s42',
        'pretrain/eca-2_4_16-s42',
        'finetune/haystack-none-s0',
        'finetune/haystack-dyck-s0',
        'finetune/haystack-set-attn-s0',
        'finetune/haystack-eca-s0',
        'finetune/haystack-asm-set_attn-eca_ffn-s0',
      ].sort(),
    );
    const first = await runStudy(plan, { backend: 'wasm', progress: false });
    expect(first).toMatchObject({ runs: 8, executed: 8, skipped: 0, backend: 'wasm' });
    for (const r of plan.runs) expect(runStatus(r)).toBe('complete');
    const asm = JSON.parse(
      await readFile(join(out, 'finetune/haystack-asm-set_attn-eca_ffn-s0/result.json'), 'utf8'),
    );
    expect(asm).toMatchObject({
      kind: 'diagnostic',
      task: 'haystack',
      assembly: 'set:attn+eca:ffn',
      seed: 0,
    });
    expect(existsSync(join(out, 'finetune/haystack-asm-set_attn-eca_ffn-s0/init/model.safetensors'))).toBe(
      true,
    );

    const again = await runStudy(plan, { backend: 'wasm', progress: false });
    expect(again).toMatchObject({ executed: 0, skipped: 8 });

    const est = await estimatePlan(plan, { backend: 'wasm', measure: false });
    expect(est.runs).toHaveLength(8);
    expect(est.runs.every((r) => r.status === 'complete' && r.flops > 0 && r.seconds > 0)).toBe(true);
    expect(est.flops).toBe(0);

    const { files, json } = await writeReport(out);
    expect(files).toEqual(expect.arrayContaining(['report.md', 'report.html', 'results.json']));
    expect(json.preset).toBe('tiny');
    expect(json.seeds).toEqual([0]);
    expect(json.backends).toEqual(['wasm']);
    const labels = json.diagnostics.map((d) => `${d.task}/${d.pretraining}`).sort();
    expect(labels).toEqual(['haystack/dyck', 'haystack/eca', 'haystack/none']);
    for (const d of json.diagnostics) {
      expect(d.mean).toBeGreaterThanOrEqual(0);
      expect(d.mean).toBeLessThanOrEqual(1);
      expect(d.ci[0]).toBeLessThanOrEqual(d.ci[1]);
      expect(d.seeds).toBe(1);
    }
    expect(json.assembly.map((a) => a.pretraining)).toEqual(['set:attn+eca:ffn']);
    expect(json.warmups.map((w) => w.pretraining).sort()).toEqual(['dyck', 'eca', 'set']);
    expect(json.warmups.every((w) => w.steps === 6 && w.accuracy !== null)).toBe(true);
    // each warm-up is scored on fresh samples of its own task: closing brackets for Dyck
    const metrics = Object.fromEntries(json.warmups.map((w) => [w.pretraining, w.taskMetric]));
    expect(metrics).toEqual({ dyck: 'closing-bracket', set: 'masked-token', eca: 'masked-token' });
    for (const w of json.warmups) {
      expect(w.taskAccuracy).toBeGreaterThanOrEqual(0);
      expect(w.taskAccuracy).toBeLessThanOrEqual(1);
    }
    const dyck = json.warmups.find((w) => w.pretraining === 'dyck')!;
    expect(dyck.curriculum).toMatchObject({ final: preset.warmup.dyck.params.length });
    expect(dyck.curriculum!.reached).toBeGreaterThanOrEqual(2);
    expect(json.warmups.find((w) => w.pretraining === 'set')!.curriculum).toBeNull();
    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toContain('| haystack | none |');
    expect(md).toContain('11.3'); // the paper's no-warm-up haystack accuracy, beside ours
    expect(md).toContain('96.9');
    expect(md).toContain('Warm-ups');
    expect(md).toContain('closing brackets');
    expect(md).toContain('curriculum reached length');
  });

  it('refuses a study directory of another preset', async () => {
    const plan = planStudy(['diagnostics'], { ...microPreset(), name: 'quick' }, join(dir, 'e2e'));
    await expect(runStudy(plan, { backend: 'wasm', progress: false })).rejects.toThrow(
      /holds a study with preset tiny/,
    );
  });
});
