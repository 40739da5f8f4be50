// A study executed past one process: independent `procpt study work` workers drain one saved plan over
// a shared folder (what docs/scaling.md runs on many machines), and a Slurm-array-like start of every
// run's `exec-run --wait` at once plus a duplicate. Every run is executed exactly once, and the results
// equal those of one worker.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StudyPreset, studyPreset } from '@procpt/paper';
import { type StudyPlan, planDispatch, planStudy, writeStudyPlan } from '@procpt/study';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundledCli, bundleCliBin } from '../testing-bin.js';

let root: string;
let cli: BundledCli;
let bin: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-workers-'));
  cli = await bundleCliBin('procpt-workers-bin');
  bin = cli.bin;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await cli.dispose();
});

/** The tiny preset cut down to seconds: two warm-ups, a baseline and two fine-tunes (5 runs, 2 waves). */
function micro(): StudyPreset {
  const p = studyPreset('tiny');
  const budget = { steps: 4, batchSize: 8, evalEvery: 2, testSize: 16, warmupSteps: 1 };
  for (const t of Object.keys(p.finetune)) p.finetune[t] = { ...budget };
  for (const recipe of Object.values(p.warmup)) Object.assign(recipe, { steps: 4, batchSize: 8 });
  return {
    ...p,
    seeds: [0],
    diagnostics: { types: ['dyck', 'set'], tasks: ['haystack'], shuffled: [] },
    checkpointEvery: 2,
  };
}

async function savedPlan(name: string): Promise<StudyPlan> {
  const plan = planStudy(['diagnostics'], micro(), join(root, name));
  await writeStudyPlan(plan);
  return plan;
}

interface Exit {
  code: number | null;
  out: string;
  err: string;
}
function procpt(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** What a run left that must not depend on who executed it: its completion marker and final metrics. */
async function results(plan: StudyPlan): Promise<Record<string, unknown>> {
  const all: Record<string, unknown> = {};
  for (const run of plan.runs) {
    const marker = join(run.dir, run.stage === 'pretrain' ? 'warmup.json' : 'result.json');
    const { wallMs: _w, backend: _b, ...rest } = JSON.parse(await readFile(marker, 'utf8'));
    const metrics = (await readFile(join(run.dir, 'metrics.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.kind === 'train' || r.kind === 'eval')
      .map(({ step, kind, loss, accuracy }) => ({ step, kind, loss, accuracy }));
    all[run.id] = { marker: rest, metrics };
  }
  return all;
}

/** Each run's study-run.json: written once per execution (a second execution would say `resumed`). */
async function records(plan: StudyPlan): Promise<unknown[]> {
  return Promise.all(
    plan.runs.map(async (r) => JSON.parse(await readFile(join(r.dir, 'study-run.json'), 'utf8')).resumed),
  );
}

describe('two independent workers drain one plan', () => {
  it('procpt study work ×2: every run executed exactly once, results equal to one worker', async () => {
    const shared = await savedPlan('two-workers');
    const ids = shared.runs.map((r) => r.id);
    const work = ['--json', 'study', 'work', '--out', shared.out, '--backend', 'cpu', '--poll', '0.05'];
    const [a, b] = await Promise.all([procpt(work), procpt(work)]);
    expect(a.code, a.err).toBe(0);
    expect(b.code, b.err).toBe(0);
    const ea = JSON.parse(a.out).executed as string[];
    const eb = JSON.parse(b.out).executed as string[];
    // each run by exactly one of them
    expect([...ea, ...eb].sort()).toEqual([...ids].sort());
    expect(ea.filter((id) => eb.includes(id))).toEqual([]);
    expect(await records(shared)).toEqual(ids.map(() => false));
    for (const run of shared.runs) expect(existsSync(join(run.dir, '.procpt.lock'))).toBe(false);
    expect(planDispatch(shared).map((r) => r.status)).toEqual(ids.map(() => 'done'));

    const alone = await savedPlan('one-worker');
    const one = await procpt(work.map((a) => (a === shared.out ? alone.out : a)));
    expect(one.code, one.err).toBe(0);
    expect(JSON.parse(one.out).executed).toEqual(ids);
    const ra = await results(shared);
    const rb = await results(alone);
    expect(Object.keys(ra)).toEqual(ids);
    expect(ra).toEqual(rb);

    // a worker started on a finished plan has nothing to do
    const late = await procpt(work);
    expect(late.code, late.err).toBe(0);
    expect(JSON.parse(late.out).executed).toEqual([]);
  });

  it('every exec-run --wait started at once (a job array), one run twice: each executed once', async () => {
    const plan = await savedPlan('array');
    const dispatch = planDispatch(plan, { backend: 'cpu' });
    // dependents first, and the first warm-up twice: order and duplicates must not matter
    const commands = [...dispatch].reverse().map((r) => r.command);
    commands.push(dispatch[0]!.command);
    const exits = await Promise.all(
      commands.map((c) => procpt(['--json', ...c.slice(1), '--wait', '--poll', '0.05'])),
    );
    for (const e of exits) expect(e.code, e.err).toBe(0);
    const outcomes = exits.map((e) => JSON.parse(e.out) as { id: string; status: string });
    const executed = outcomes.filter((o) => o.status === 'executed').map((o) => o.id);
    expect(executed.sort()).toEqual(plan.runs.map((r) => r.id).sort());
    // the duplicate found its run complete (or held, then complete) and did not run it again
    expect(
      outcomes
        .filter((o) => o.id === dispatch[0]!.id)
        .map((o) => o.status)
        .sort(),
    ).toEqual(['complete', 'executed']);
    expect(await records(plan)).toEqual(plan.runs.map(() => false));
  });
});
