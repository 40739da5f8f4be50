import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleTestChild } from '../../../scripts/test-support/bundle-child.js';
import { runStudy } from './execute.js';
import { planStudy } from './plan/index.js';
import { runStatus } from './run-state.js';
import { microPreset } from './testing/fixtures.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir: string;
let child: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-study-resume-'));
  child = await bundleTestChild(build, {
    packageDir: join(here, '..'),
    entry: join(here, 'testing', 'study-child.ts'),
    name: 'study-child',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(child, { force: true });
});

async function trainLines(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.includes('"kind":"train"')).length;
}

describe('resuming a killed study', () => {
  it('skips completed runs and resumes the interrupted one from its checkpoint', async () => {
    const out = join(dir, 'study');
    const preset = microPreset();
    // The baseline fine-tune is long enough to be killed in the middle (checkpoints every 3 steps).
    preset.finetune.haystack = { steps: 40, batchSize: 16, evalEvery: 20, testSize: 32, warmupSteps: 1 };
    preset.diagnostics = { types: ['dyck'], tasks: ['haystack'], shuffled: [] };
    const args = { experiments: ['diagnostics'], preset, out, backend: 'wasm' };
    const argsPath = join(dir, 'args.json');
    await writeFile(argsPath, JSON.stringify(args));
    const plan = planStudy(['diagnostics'], preset, out);
    const [warmup, baseline, dyck] = [
      'pretrain/dyck-2_4_16-s42',
      'finetune/haystack-none-s0',
      'finetune/haystack-dyck-s0',
    ].map((id) => plan.runs.find((r) => r.id === id)!) as [
      NonNullable<(typeof plan.runs)[0]>,
      NonNullable<(typeof plan.runs)[0]>,
      NonNullable<(typeof plan.runs)[0]>,
    ];

    const proc = spawn(process.execPath, [child, argsPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{ signal: string | null }>((resolve) =>
      proc.on('exit', (_c, signal) => resolve({ signal })),
    );
    const metrics = join(baseline.dir, 'metrics.jsonl');
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (proc.exitCode !== null) throw new Error(`child exited early: ${stderr}`);
      if ((await trainLines(metrics)) >= 10) {
        proc.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toMatchObject({ signal: 'SIGKILL' });
    expect(runStatus(warmup)).toBe('complete');
    expect(runStatus(baseline)).toBe('interrupted');
    expect(runStatus(dyck)).toBe('pending');
    const warmupMarker = (await stat(join(warmup.dir, 'warmup.json'))).mtimeMs;

    const outcome = await runStudy(plan, { backend: 'wasm', progress: false });
    expect(outcome).toMatchObject({ runs: 3, executed: 2, skipped: 1 });
    expect((await stat(join(warmup.dir, 'warmup.json'))).mtimeMs).toBe(warmupMarker);
    const record = JSON.parse(await readFile(join(baseline.dir, 'study-run.json'), 'utf8'));
    expect(record.resumed).toBe(true);
    const resolved = JSON.parse(await readFile(join(baseline.dir, 'config.resolved.json'), 'utf8'));
    expect(resolved.resumedFrom).toBe(baseline.dir);
    // Every step trained exactly once across the two processes.
    const steps = (await readFile(metrics, 'utf8'))
      .split('\n')
      .filter((l) => l.includes('"kind":"train"'))
      .map((l) => JSON.parse(l).step as number);
    expect(steps).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    for (const r of plan.runs) expect(runStatus(r)).toBe('complete');
  });
});

describe('--jobs', () => {
  function execChild(out: string, id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const argsPath = join(dir, `exec-${id.replace(/\//g, '_')}.json`);
      void writeFile(argsPath, JSON.stringify({ mode: 'exec-run', out, id, backend: 'wasm' })).then(() => {
        const proc = spawn(process.execPath, [child, argsPath], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        proc.stderr.on('data', (d) => (stderr += String(d)));
        proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${id}: ${stderr}`))));
      }, reject);
    });
  }

  it('runs independent runs in parallel worker processes, never before their dependencies', async () => {
    const out = join(dir, 'jobs');
    const preset = microPreset();
    preset.diagnostics = { types: ['dyck', 'set'], tasks: ['haystack'], shuffled: [] };
    const plan = planStudy(['diagnostics'], preset, out);
    const finished = new Set<string>();
    let inFlight = 0;
    let maxInFlight = 0;
    const outcome = await runStudy(plan, {
      backend: 'wasm',
      progress: false,
      jobs: 2,
      spawnRun: async (studyDir, id) => {
        const run = plan.runs.find((r) => r.id === id)!;
        for (const d of run.deps) expect(finished.has(d), `${id} started before ${d} finished`).toBe(true);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await execChild(studyDir, id);
        } finally {
          inFlight--;
        }
        finished.add(id);
      },
    });
    expect(outcome).toMatchObject({ runs: 5, executed: 5, skipped: 0 });
    expect(maxInFlight).toBe(2);
    for (const r of plan.runs) expect(runStatus(r)).toBe('complete');
  });

  it('stops scheduling after a worker fails and never starts the runs that depend on it', async () => {
    const out = join(dir, 'jobs-fail');
    const preset = microPreset();
    preset.diagnostics = { types: ['dyck'], tasks: ['haystack'], shuffled: [] };
    const plan = planStudy(['diagnostics'], preset, out);
    const started: string[] = [];
    await expect(
      runStudy(plan, {
        backend: 'wasm',
        progress: false,
        jobs: 2,
        spawnRun: async (_out, id) => {
          started.push(id);
          if (id.startsWith('pretrain/')) throw new Error(`worker for ${id} crashed`);
          await new Promise((r) => setTimeout(r, 50));
        },
      }),
    ).rejects.toThrow(/worker for pretrain\/dyck-2_4_16-s42 crashed/);
    expect(started).not.toContain('finetune/haystack-dyck-s0');
  });
});
