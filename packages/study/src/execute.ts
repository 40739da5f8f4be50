import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type FolderLock,
  ProcptError,
  Progress,
  acquireFolderLock,
  ensureDir,
  formatCount,
  prepareOutput,
  writeJsonAtomic,
} from '@procpt/core';
import { resolveRecipe } from '@procpt/paper';
import { type RunConfigInput, recoverRunFolder, runTraining } from '@procpt/runner';
import { type BackendPreference, selectBackend } from '@procpt/trainer-gpu';
import type { PlannedRun, StudyPlan } from './plan/index.js';
import { STUDY_RUN_FILE, type StudyRunRecord, claimRunDir, lastTrainLine, runStatus } from './run-state.js';
import { recordInvocation, writePlanFiles } from './manifest.js';
import {
  type DispatchEntry,
  type DispatchOptions,
  assertDepsComplete,
  claimSavedRun,
  planDispatch,
} from './status.js';
import { ensureSemanticData, finishSemantic } from './semantic.js';
import { buildAssembledInit, finishFinetune, finishWarmup } from './run-steps.js';

/** Options of {@link runStudy} and {@link executeRun}. */
export interface ExecuteOptions {
  /** Backend preference (trainer-gpu's `selectBackend`), default `auto`. */
  backend?: string;
  /** Abort: the current run checkpoints after its step and the study stops (`interrupted`). */
  signal?: AbortSignal;
  /** Runs at once (needs `spawnRun`; tfjs runs one model at a time per process). */
  jobs?: number;
  /** Runs one run in another process (e.g. `procpt study exec-run`); used when `jobs > 1`. */
  spawnRun?: (out: string, id: string) => Promise<void>;
  /** Live progress on stderr (default true). */
  progress?: boolean | { stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } };
  onInfo?: (line: string) => void;
  onWarn?: (line: string) => void;
  /** Write into an `--out` folder that already holds files but no study (nothing there is deleted). */
  force?: boolean;
}

/** What {@link runStudy} did. */
export interface StudyOutcome {
  runs: number;
  executed: number;
  skipped: number;
  backend: string;
  wallMs: number;
}

/** Options of {@link executeRun}. */
export interface ExecuteRunOptions extends ExecuteOptions {
  /**
   * The run folder's lock, when the caller took it (`claimSavedRun`); `executeRun` releases it. Without
   * it, `executeRun` takes the lock itself.
   */
  lock?: FolderLock;
}

/**
 * Executes one planned run in this process: skipped when complete; resumed from its newest checkpoint
 * when interrupted; evaluated only when its weights are final. Writes `study-run.json`, then the
 * completion marker (`warmup.json` or eval's `result.json`). A run whose dependencies are not complete,
 * or whose folder another process holds, is a `usage` ProcptError (exit 2) naming them.
 */
export async function executeRun(
  plan: StudyPlan,
  run: PlannedRun,
  options: ExecuteRunOptions = {},
): Promise<'skipped' | 'executed'> {
  const { lock: held, ...rest } = options;
  try {
    if (runStatus(run) === 'complete') return 'skipped';
    assertDepsComplete(plan, run);
  } catch (error) {
    await held?.release();
    throw error;
  }
  const started = performance.now();
  let lock = held;
  if (!lock) {
    await ensureDir(run.dir);
    lock = await acquireFolderLock(run.dir, { what: `study run ${run.id}` });
  }
  try {
    recoverRunFolder(run.dir); // what a killed invocation left, now that no one else writes here
    return await executeLocked(plan, run, rest, runStatus(run), started, lock);
  } finally {
    await lock.release();
  }
}

async function executeLocked(
  plan: StudyPlan,
  run: PlannedRun,
  options: ExecuteOptions,
  status: ReturnType<typeof runStatus>,
  started: number,
  lock: FolderLock,
): Promise<'skipped' | 'executed'> {
  if (status === 'complete') return 'skipped';
  await claimRunDir(run);
  const backend = await selectBackend((options.backend ?? 'auto') as BackendPreference);
  if (status !== 'trained') {
    if (run.semantic) {
      await ensureSemanticData(run, {
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onWarn ? { onWait: options.onWarn } : {}),
      });
    }
    let config: RunConfigInput = run.config;
    if (run.assemble) {
      const initDir = join(run.dir, 'init');
      await buildAssembledInit(run, plan, initDir);
      config = { ...config, model: { ...config.model, init: { from: 'checkpoint', path: initDir } } };
    }
    await runTraining(resolveRecipe(config, `study run ${run.id}`), {
      backend: backend.name,
      progress: false,
      lock,
      // pending: a run killed before its first checkpoint starts again (its metrics are replaced)
      ...(status === 'interrupted' ? { resume: run.dir } : { force: true }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onWarn ? { onWarn: options.onWarn } : {}),
    });
  }
  const wallMs = performance.now() - started;
  const record: StudyRunRecord = {
    id: run.id,
    backend: backend.name,
    wallMs: Math.round(wallMs),
    resumed: status !== 'pending',
    finishedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(run.dir, STUDY_RUN_FILE), record);
  if (run.stage === 'pretrain') await finishWarmup(run, backend.name, Math.round(wallMs));
  else if (run.semantic) await finishSemantic(run);
  else await finishFinetune(run);
  return 'executed';
}

/**
 * Executes the run `id` of the plan saved in `out` (what `procpt study exec-run` does, on this machine or
 * any other that sees `out` at the same path): `skipped` when the run is complete; a `usage` ProcptError
 * (exit 2) when a dependency is not complete or another process holds the run.
 */
export async function executeSavedRun(
  out: string,
  id: string,
  options: ExecuteOptions = {},
): Promise<'skipped' | 'executed'> {
  const claim = await claimSavedRun(out, id);
  if (!claim) return 'skipped';
  return executeRun(claim.plan, claim.run, { ...options, lock: claim.lock });
}

/** Options of {@link writeStudyPlan}. */
export interface WritePlanOptions {
  /** Write into an `out` folder that already holds files but no study (nothing there is deleted). */
  force?: boolean;
}

/** Checks the study folder (`runStudy`'s rules) and takes its lock: a second study process is refused. */
async function lockStudyFolder(plan: StudyPlan, force: boolean): Promise<FolderLock> {
  await prepareOutput(plan.out, {
    kind: 'container',
    force,
    owned: (p) => existsSync(join(p, 'study.json')) || existsSync(join(p, 'plan.json')),
    what: 'study folder',
  });
  await ensureDir(plan.out);
  return acquireFolderLock(plan.out, { what: 'study' });
}

/**
 * Writes `<out>/plan.json` and `study.json` under the study folder's lock, as `runStudy` does before it
 * runs anything, and returns the plan's runs as commands (`procpt study plan`): the hand-off to a
 * scheduler that runs `procpt study exec-run` on many machines. A folder that holds files but no study
 * is refused unless `force`; one that holds a study of another preset is refused.
 */
export async function writeStudyPlan(
  plan: StudyPlan,
  options: WritePlanOptions & DispatchOptions = {},
): Promise<DispatchEntry[]> {
  const lock = await lockStudyFolder(plan, options.force === true);
  try {
    await writePlanFiles(plan);
  } finally {
    await lock.release();
  }
  return planDispatch(plan, options);
}

/**
 * Recovers what a killed writer left in a run folder, unless another process holds the folder: on shared
 * storage that may be a worker on another machine, whose files in flight must not be touched.
 */
async function recoverIfFree(run: PlannedRun): Promise<void> {
  if (!existsSync(run.dir)) return;
  let lock: FolderLock;
  try {
    lock = await acquireFolderLock(run.dir, { what: `study run ${run.id}` });
  } catch (error) {
    if (error instanceof ProcptError && error.code === 'usage') return; // held: its holder recovers it
    throw error;
  }
  try {
    recoverRunFolder(run.dir);
  } finally {
    await lock.release();
  }
}

/**
 * Runs a plan: every run whose dependencies are complete, in plan order (or `jobs` at a time through
 * `spawnRun`); complete runs are skipped, interrupted ones resumed. Shows runs done / total, the current
 * run's step, tokens/s and the study's ETA. Holds `<out>/.procpt.lock` throughout (a second study
 * process on the same folder is refused, naming this one), and each run holds its run folder's lock.
 * An `out` folder that holds files but no study is refused unless `force`.
 */
export async function runStudy(plan: StudyPlan, options: ExecuteOptions = {}): Promise<StudyOutcome> {
  const lock = await lockStudyFolder(plan, options.force === true);
  try {
    for (const run of plan.runs) await recoverIfFree(run);
    return await runStudyLocked(plan, options);
  } finally {
    await lock.release();
  }
}

async function runStudyLocked(plan: StudyPlan, options: ExecuteOptions): Promise<StudyOutcome> {
  const started = performance.now();
  const info = options.onInfo ?? (() => undefined);
  const backend = await selectBackend((options.backend ?? 'auto') as BackendPreference);
  await writePlanFiles(plan);
  const todo = plan.runs.filter((r) => runStatus(r) !== 'complete');
  const skipped = plan.runs.length - todo.length;
  info(
    `study ${plan.experiments.join(', ')} (preset ${plan.preset}) in ${plan.out}: ${plan.runs.length} runs, ${skipped} already complete; backend ${backend.name}`,
  );
  const totalTokens = todo.reduce((a, r) => a + r.tokens, 0);
  const progress =
    options.progress === false
      ? undefined
      : new Progress({
          unit: 'tokens',
          total: totalTokens,
          label: 'study',
          ...(typeof options.progress === 'object' ? { stream: options.progress.stream } : {}),
        });
  let doneTokens = 0;
  let doneRuns = skipped;
  const running = new Map<string, PlannedRun>();
  const timer = setInterval(() => void poll(), 1000);
  async function poll(): Promise<void> {
    if (!progress) return;
    let partial = 0;
    let extra = `runs ${doneRuns}/${plan.runs.length}`;
    for (const run of running.values()) {
      const steps = Number(run.config.steps);
      const line = await lastTrainLine(join(run.dir, 'metrics.jsonl'));
      if (!line) continue;
      partial += (run.tokens * Math.min(line.step, steps)) / steps;
      extra += `  ${run.id} step ${line.step}/${steps} ${formatCount(line.tokensPerSecond)} tok/s`;
    }
    progress.update(doneTokens + partial, extra);
  }
  const jobs = options.spawnRun ? Math.max(1, options.jobs ?? 1) : 1;
  const done = new Set(plan.runs.filter((r) => runStatus(r) === 'complete').map((r) => r.id));
  const queue = [...todo];
  const inFlight = new Map<string, Promise<void>>();
  let failure: unknown;
  try {
    while ((queue.length > 0 && failure === undefined) || inFlight.size > 0) {
      while (failure === undefined && inFlight.size < jobs) {
        const i = queue.findIndex((r) => r.deps.every((d) => done.has(d)));
        if (i < 0) break;
        const run = queue.splice(i, 1)[0]!;
        running.set(run.id, run);
        info(`[${doneRuns + running.size}/${plan.runs.length}] ${run.id} (${runStatus(run)})`);
        const task =
          jobs > 1 && options.spawnRun
            ? options.spawnRun(plan.out, run.id)
            : executeRun(plan, run, { ...options, backend: backend.name }).then(() => undefined);
        inFlight.set(
          run.id,
          task
            .then(
              () => {
                done.add(run.id);
                doneRuns++;
                doneTokens += run.tokens;
              },
              (error: unknown) => {
                failure ??= error;
              },
            )
            .finally(() => {
              running.delete(run.id);
              inFlight.delete(run.id);
            }),
        );
      }
      if (inFlight.size === 0) break;
      await Promise.race(inFlight.values());
    }
  } finally {
    clearInterval(timer);
    if (progress) {
      progress.update(doneTokens, `runs ${doneRuns}/${plan.runs.length}`);
      progress.stop();
    }
  }
  const wallMs = performance.now() - started;
  await recordInvocation(plan, { backend: backend.name, wallMs, executed: doneRuns - skipped });
  if (failure !== undefined) throw failure;
  if (queue.length > 0) {
    throw new ProcptError('runtime', `${queue.length} runs could not start: their dependencies failed`);
  }
  return { runs: plan.runs.length, executed: doneRuns - skipped, skipped, backend: backend.name, wallMs };
}
