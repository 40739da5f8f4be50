// `procpt study plan` and `procpt study exec-run` as a scheduler sees them (no run trains here: the
// two-worker end-to-end test is study-workers.test.ts).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE, acquireFolderLock } from '@procpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';
import type { StudyDispatch } from './study-dispatch.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-study-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function plan(out: string, ...extra: string[]): Promise<StudyDispatch> {
  const res = await runProcpt([
    '--json',
    'study',
    'plan',
    'diagnostics',
    '--preset',
    'tiny',
    '--out',
    out,
    ...extra,
  ]);
  expect(res.err).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.out) as StudyDispatch;
}

describe('procpt study plan', () => {
  it('writes plan.json and lists every run as one self-contained command, in dependency order', async () => {
    const out = join(root, 'tiny');
    const d = await plan(out);
    expect(existsSync(join(out, 'plan.json'))).toBe(true);
    expect(existsSync(join(out, 'study.json'))).toBe(true);
    expect(d).toMatchObject({
      format: 'procpt.study-dispatch',
      version: 1,
      out,
      plan: join(out, 'plan.json'),
      preset: 'tiny',
      experiments: ['diagnostics'],
      waves: 2,
    });
    expect(d.runs.length).toBe(24);
    expect(d.counts).toEqual({ done: 0, pending: 8, 'blocked-by-deps': 16 });
    const seen = new Set<string>();
    for (const r of d.runs) {
      expect(Object.keys(r).sort()).toEqual(['command', 'deps', 'dir', 'id', 'shell', 'status', 'wave']);
      for (const dep of r.deps) expect(seen.has(dep), `${r.id} listed before ${dep}`).toBe(true);
      seen.add(r.id);
      expect(r.command).toEqual(['procpt', 'study', 'exec-run', '--out', out, '--id', r.id]);
      expect(r.shell).toBe(r.command.join(' ')); // nothing here needs quoting
      expect(r.dir).toBe(join(out, r.id));
      expect(r.status).toBe(r.deps.length === 0 ? 'pending' : 'blocked-by-deps');
      expect(r.wave).toBe(r.deps.length === 0 ? 0 : 1);
    }
    // --backend goes into every command
    const wasm = await plan(out, '--backend', 'wasm');
    expect(wasm.runs[0]!.command.slice(-2)).toEqual(['--backend', 'wasm']);
  });

  it('without --preset lists the saved plan (read only: also while a study holds the folder)', async () => {
    const out = join(root, 'listed');
    const planned = await plan(out);
    // mark one warm-up complete as its executor does last
    const warmup = planned.runs[0]!;
    await writeFile(join(out, warmup.id, 'warmup.json'), '{}').catch(async () => {
      await mkdir(join(out, warmup.id), { recursive: true });
      await writeFile(join(out, warmup.id, 'warmup.json'), '{}');
    });
    const lock = await acquireFolderLock(out, { what: 'study' });
    try {
      const listed = await runProcpt(['study', 'plan', '--out', out, '--json']);
      expect(listed.code).toBe(0);
      const d = JSON.parse(listed.out) as StudyDispatch;
      expect(d.runs.map((r) => r.id)).toEqual(planned.runs.map((r) => r.id));
      expect(d.runs[0]!.status).toBe('done');
      const dependents = d.runs.filter((r) => r.deps.includes(warmup.id));
      expect(dependents.length).toBeGreaterThan(0);
      for (const r of dependents) expect(r.status).toBe('pending');
      // re-planning needs the study lock: refused, naming the holder
      const refused = await runProcpt(['study', 'plan', 'diagnostics', '--preset', 'tiny', '--out', out]);
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/^procpt: study .* is in use by this process/);
    } finally {
      await lock.release();
    }
    const human = await runProcpt(['study', 'plan', '--out', out]);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/24 runs in 2 waves: 1 done, /);
    expect(human.out).toContain(`procpt study exec-run --out ${out} --id <id>`);
  });

  it('is a usage error without --preset and --out, or with an experiment but no --preset', async () => {
    const none = await runProcpt(['study', 'plan']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/study plan needs --preset \(to plan\) or --out/);
    const noPreset = await runProcpt(['study', 'plan', 'diagnostics', '--out', join(root, 'x')]);
    expect(noPreset.code).toBe(2);
    expect(noPreset.err).toMatch(/needs --preset to plan experiments/);
    const foreign = join(root, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    const refused = await runProcpt(['study', 'plan', 'diagnostics', '--preset', 'tiny', '--out', foreign]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/already holds files and is not procpt's study folder/);
  });
});

describe('procpt study exec-run on a run that cannot or need not run', () => {
  it('exits 0 for a complete run, 2 for a blocked, busy or unknown one, each in one line', async () => {
    const out = join(root, 'exec');
    const d = await plan(out);
    const [warmup, other] = d.runs.filter((r) => r.deps.length === 0) as [
      StudyDispatch['runs'][0],
      StudyDispatch['runs'][0],
    ];
    const dependent = d.runs.find((r) => r.deps.includes(warmup.id))!;
    await mkdir(join(out, warmup.id), { recursive: true });
    await writeFile(join(out, warmup.id, 'warmup.json'), '{}');

    const done = await runProcpt(['--json', ...warmup.command.slice(1)]);
    expect(done.code).toBe(0);
    expect(JSON.parse(done.out)).toMatchObject({ id: warmup.id, status: 'complete' });

    const blockedRun = d.runs.find((r) => r.deps.length > 0 && !r.deps.includes(warmup.id))!;
    const blocked = await runProcpt(blockedRun.command.slice(1));
    expect(blocked.code).toBe(2);
    expect(blocked.err).toBe(
      `procpt: run ${blockedRun.id} needs ${blockedRun.deps.join(', ')}, which is not complete\n` +
        `hint: run it first (procpt study plan --out ${out} lists what can run now), or retry later\n`,
    );

    // the dependent of the complete warm-up may run; here another machine holds it
    await mkdir(join(out, dependent.id), { recursive: true });
    await writeFile(
      join(out, dependent.id, LOCK_FILE),
      `${JSON.stringify({ pid: 7, host: 'gpu-node-3', started: '2026-01-02T03:04:05Z', command: 'procpt study exec-run' })}\n`,
    );
    const busy = await runProcpt(dependent.command.slice(1));
    expect(busy.code).toBe(2);
    expect(busy.err).toMatch(
      /^procpt: study run .* is in use by process 7 on gpu-node-3 since 2026-01-02T03:04:05Z \(procpt study exec-run\)\nhint: wait for it to finish; if that process is gone, delete .*\.procpt\.lock\n$/,
    );

    const unknown = await runProcpt(['study', 'exec-run', '--out', out, '--id', 'finetune/nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/^procpt: no run "finetune\/nope" in /);
    const noPlan = await runProcpt(['study', 'exec-run', '--out', join(root, 'empty'), '--id', other.id]);
    expect(noPlan.code).toBe(2);
    expect(noPlan.err).toMatch(/has no plan\.json/);
  });
});
