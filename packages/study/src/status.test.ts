import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, ProcptError, acquireFolderLock } from '@procpt/core';
import { RUN_SUMMARY_FILE } from '@procpt/eval';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStudy, writeStudyPlan } from './execute.js';
import { type StudyPlan, planStudy } from './plan/index.js';
import {
  RESULT_FILE,
  claimNextRun,
  claimSavedRun,
  dispatchStatus,
  planDispatch,
  readSavedPlan,
  shellQuote,
} from './status.js';
import { microPreset } from './testing/fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-study-status-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A micro plan with two warm-ups, a baseline and two fine-tunes that depend on one warm-up each. */
function plan(name: string): StudyPlan {
  const preset = microPreset();
  preset.diagnostics = { types: ['dyck', 'set'], tasks: ['haystack'], shuffled: [] };
  return planStudy(['diagnostics'], preset, join(dir, name));
}

/** Marks a run complete the way the executor does last (its completion marker). */
async function complete(p: StudyPlan, id: string): Promise<void> {
  const run = p.runs.find((r) => r.id === id)!;
  await mkdir(run.dir, { recursive: true });
  await writeFile(join(run.dir, run.stage === 'pretrain' ? 'warmup.json' : 'result.json'), '{}');
}

/** A lock on `folder` held by a process on another machine (whose liveness cannot be checked). */
async function lockFromElsewhere(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const holder = {
    pid: 4242,
    host: 'node-17',
    started: '2026-01-01T00:00:00Z',
    command: 'procpt study exec-run',
  };
  await writeFile(join(folder, LOCK_FILE), `${JSON.stringify(holder)}\n`);
}

describe('the saved plan as commands', () => {
  it("a fine-tune's completion marker is eval's run summary", () => {
    expect(RESULT_FILE).toBe(RUN_SUMMARY_FILE);
  });

  it('lists every run in dependency order with its waves, statuses and a self-contained command', async () => {
    const p = plan('dispatch');
    const runs = await writeStudyPlan(p, { backend: 'wasm' });
    expect(existsSync(join(p.out, 'plan.json'))).toBe(true);
    expect(runs.map((r) => r.id)).toEqual(p.runs.map((r) => r.id));
    expect(runs.map((r) => [r.id, r.wave, r.status])).toEqual([
      ['pretrain/dyck-2_4_16-s42', 0, 'pending'],
      ['pretrain/set-2_4_16-s42', 0, 'pending'],
      ['finetune/haystack-none-s0', 0, 'pending'],
      ['finetune/haystack-dyck-s0', 1, 'blocked-by-deps'],
      ['finetune/haystack-set-s0', 1, 'blocked-by-deps'],
    ]);
    expect(runs[3]).toMatchObject({
      deps: ['pretrain/dyck-2_4_16-s42'],
      command: [
        'procpt',
        'study',
        'exec-run',
        '--out',
        p.out,
        '--id',
        'finetune/haystack-dyck-s0',
        '--backend',
        'wasm',
      ],
    });
    // auto is every machine's own choice: left out of the commands
    expect(planDispatch(p, { backend: 'auto' })[0]!.command).not.toContain('--backend');
    await complete(p, 'pretrain/dyck-2_4_16-s42');
    const saved = await readSavedPlan(p.out);
    expect(saved.runs.map((r) => dispatchStatus(saved, r))).toEqual([
      'done',
      'pending',
      'pending',
      'pending',
      'blocked-by-deps',
    ]);
  });

  it('is written under the study lock: a running study refuses it, naming the holder', async () => {
    const p = plan('locked');
    await mkdir(p.out, { recursive: true });
    await writeFile(
      join(p.out, 'study.json'),
      JSON.stringify({
        format: 'procpt.study',
        version: 1,
        preset: 'tiny',
        experiments: [],
        invocations: [],
      }),
    );
    const lock = await acquireFolderLock(p.out, { what: 'study' });
    try {
      await expect(writeStudyPlan(p)).rejects.toMatchObject({
        code: 'usage',
        message: expect.stringMatching(/study .*locked.* is in use by this process/),
      });
    } finally {
      await lock.release();
    }
    await writeStudyPlan(p);
    expect(existsSync(join(p.out, 'plan.json'))).toBe(true);
  });

  it('refuses a plan read from another path than it was made for', async () => {
    const p = plan('moved');
    await writeStudyPlan(p);
    const other = join(dir, 'moved-copy');
    await mkdir(other);
    await writeFile(join(other, 'plan.json'), await readFile(join(p.out, 'plan.json')));
    await expect(readSavedPlan(other)).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringContaining(`was made for ${p.out}`),
    });
    await expect(readSavedPlan(join(dir, 'nowhere'))).rejects.toMatchObject({ code: 'usage' });
  });
});

describe('claimSavedRun (what exec-run does before loading tfjs)', () => {
  it('skips a complete run, refuses a blocked or busy one (exit 2), else takes its lock', async () => {
    const p = plan('claims');
    await writeStudyPlan(p);
    await complete(p, 'pretrain/set-2_4_16-s42');
    expect(await claimSavedRun(p.out, 'pretrain/set-2_4_16-s42')).toBeUndefined();

    const blocked = await claimSavedRun(p.out, 'finetune/haystack-dyck-s0').catch((e: unknown) => e);
    expect(blocked).toBeInstanceOf(ProcptError);
    expect((blocked as ProcptError).exitCode).toBe(2);
    expect((blocked as ProcptError).message).toBe(
      'run finetune/haystack-dyck-s0 needs pretrain/dyck-2_4_16-s42, which is not complete',
    );

    const busy = p.runs.find((r) => r.id === 'finetune/haystack-set-s0')!;
    await lockFromElsewhere(busy.dir);
    const refused = await claimSavedRun(p.out, busy.id).catch((e: unknown) => e);
    expect((refused as ProcptError).exitCode).toBe(2);
    expect((refused as ProcptError).message).toMatch(
      /is in use by process 4242 on node-17 since 2026-01-01T00:00:00Z \(procpt study exec-run\)/,
    );

    const claim = await claimSavedRun(p.out, 'pretrain/dyck-2_4_16-s42');
    expect(claim?.run.id).toBe('pretrain/dyck-2_4_16-s42');
    // while this process holds it, another claim is refused
    await expect(claimSavedRun(p.out, 'pretrain/dyck-2_4_16-s42')).rejects.toMatchObject({ code: 'usage' });
    await claim?.lock.release();
    await expect(claimSavedRun(p.out, 'nope')).rejects.toMatchObject({ code: 'usage' });
  });
});

describe('waiting claims and workers (exec-run --wait, study work)', () => {
  it('--wait waits for a held run and does not claim it again once its holder completed it', async () => {
    const p = plan('wait-busy');
    await writeStudyPlan(p);
    const run = p.runs[0]!;
    const held = await acquireFolderLock(run.dir, { what: 'study run' });
    const waits: string[] = [];
    const claim = await claimSavedRun(p.out, run.id, {
      wait: true,
      pollMs: 5,
      onWait: async (message) => {
        waits.push(message);
        // the holder finishes the run, then lets go
        await complete(p, run.id);
        await held.release();
      },
    });
    expect(claim).toBeUndefined();
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatch(/^waiting: study run .* is in use by this process/);
  });

  it('--wait waits for dependencies, then claims the run', async () => {
    const p = plan('wait-deps');
    await writeStudyPlan(p);
    const waits: string[] = [];
    const claim = await claimSavedRun(p.out, 'finetune/haystack-set-s0', {
      wait: true,
      pollMs: 5,
      onWait: (message) => {
        waits.push(message);
        void complete(p, 'pretrain/set-2_4_16-s42');
      },
    });
    expect(waits).toEqual([
      'waiting: run finetune/haystack-set-s0 needs pretrain/set-2_4_16-s42, which is not complete',
    ]);
    expect(claim?.run.id).toBe('finetune/haystack-set-s0');
    await claim?.lock.release();
  });

  it('claimNextRun hands out each startable run once, waits on held ones, and says when all are done', async () => {
    const p = plan('next');
    await writeStudyPlan(p);
    const first = await claimNextRun(p);
    const second = await claimNextRun(p);
    const third = await claimNextRun(p);
    const ids = [first, second, third].map((n) => (n.state === 'claimed' ? n.claim.run.id : n.state));
    expect(ids).toEqual(['pretrain/dyck-2_4_16-s42', 'pretrain/set-2_4_16-s42', 'finetune/haystack-none-s0']);
    // everything left is held by "other workers" (the claims above) or waits for them
    expect(await claimNextRun(p)).toEqual({
      state: 'wait',
      busy: ids,
      blocked: ['finetune/haystack-dyck-s0', 'finetune/haystack-set-s0'],
    });
    for (const n of [first, second, third]) {
      if (n.state !== 'claimed') continue;
      await complete(p, n.claim.run.id);
      await n.claim.lock.release();
    }
    const fourth = await claimNextRun(p);
    expect(fourth.state === 'claimed' && fourth.claim.run.id).toBe('finetune/haystack-dyck-s0');
    if (fourth.state === 'claimed') await fourth.claim.lock.release();
    await complete(p, 'finetune/haystack-dyck-s0');
    await complete(p, 'finetune/haystack-set-s0');
    expect(await claimNextRun(p)).toEqual({ state: 'done' });
  });

  it('a plan whose runs wait for a dependency no one can run is an error, not an endless wait', async () => {
    const p = plan('orphan');
    p.runs = p.runs.filter((r) => r.id !== 'pretrain/dyck-2_4_16-s42');
    for (const r of p.runs) if (r.id !== 'finetune/haystack-dyck-s0') await complete(p, r.id);
    await expect(claimNextRun(p)).rejects.toMatchObject({
      code: 'runtime',
      message: '1 runs wait for dependencies that are not in the plan: finetune/haystack-dyck-s0',
    });
  });

  it('commands come as argv and as one shell line, quoted where needed', () => {
    expect(shellQuote('/data/study-1/x_y.z')).toBe('/data/study-1/x_y.z');
    expect(shellQuote("it's here")).toBe(`'it'\\''s here'`);
    const p = planStudy(['diagnostics'], microPreset(), join(dir, 'with space'));
    const [entry] = planDispatch(p);
    expect(entry!.shell).toBe(`procpt study exec-run --out '${p.out}' --id ${entry!.id}`);
    expect(entry!.dir).toBe(p.runs[0]!.dir);
  });
});

describe('runStudy on shared storage', () => {
  it('leaves the files of a run another machine holds alone (no recovery of its temp files)', async () => {
    const p = plan('shared');
    await writeStudyPlan(p);
    const held = p.runs[0]!;
    await lockFromElsewhere(held.dir);
    // what a writer on node-17 has in flight: to this machine its pid looks dead
    const inFlight = join(held.dir, '.metrics.jsonl.tmp-999999-1');
    await writeFile(inFlight, 'partial');
    const error = await runStudy(p, { backend: 'wasm', progress: false }).catch((e: unknown) => e);
    expect((error as ProcptError).message).toMatch(/is in use by process 4242 on node-17/);
    expect(existsSync(inFlight)).toBe(true);
  });
});
