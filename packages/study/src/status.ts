// Where the runs of a saved plan stand, and the claim of one run by a worker: everything a scheduler and
// `procpt study exec-run` need before a run starts. Light on purpose (node and @procpt/core only; the
// subpath export `@procpt/study/status`), so that a worker finds a run complete, blocked or taken by
// another machine in a fraction of a second, without loading tfjs.
import { existsSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type FolderLock, ProcptError, acquireFolderLock, ensureDir } from '@procpt/core';
import type { PlannedRun, StudyPlan } from './plan/types.js';

export type { PlannedRun, StudyPlan } from './plan/types.js';

/** Written last by a finished warm-up run: its completion marker and its own task accuracy. */
export const WARMUP_FILE = 'warmup.json';
/** Written last by a finished fine-tuning run: its completion marker (`@procpt/eval`'s `RUN_SUMMARY_FILE`). */
export const RESULT_FILE = 'result.json';
/** File name of the saved plan inside a study folder. */
export const PLAN_FILE = 'plan.json';

/** Where a run stands on disk. */
export type RunStatus = 'complete' | 'trained' | 'interrupted' | 'pending';

/** The completion marker of a run: `result.json` for fine-tunes, `warmup.json` for warm-ups. */
export function markerPath(run: PlannedRun): string {
  return join(run.dir, run.stage === 'pretrain' ? WARMUP_FILE : RESULT_FILE);
}

/** complete (marker present), trained (final weights, not yet evaluated), interrupted (checkpoints), pending. */
export function runStatus(run: PlannedRun): RunStatus {
  if (existsSync(markerPath(run))) return 'complete';
  if (existsSync(join(run.dir, 'final', 'procpt.json'))) return 'trained';
  if (existsSync(join(run.dir, 'checkpoints'))) return 'interrupted';
  return 'pending';
}

/**
 * What a scheduler needs to know of a run: `done` (complete), `pending` (its dependencies are complete:
 * it can run now; an interrupted run resumes) or `blocked-by-deps` (a dependency is not complete yet).
 */
export type DispatchStatus = 'done' | 'pending' | 'blocked-by-deps';

/** One run of a plan as `procpt study plan --json` lists it. */
export interface DispatchEntry {
  /** The run's id (`<stage>/<name>`, also its folder under the study folder). */
  id: string;
  /** Ids of the runs that must be complete before this one starts. */
  deps: string[];
  /**
   * Its dependency wave: 0 without dependencies, else one more than its latest dependency's wave. All
   * runs of a wave are independent of each other; wave n needs only waves before n.
   */
  wave: number;
  status: DispatchStatus;
  /** The run's output folder (absolute, under the study folder). */
  dir: string;
  /** The self-contained command that executes it, on any machine that sees the study folder (argv). */
  command: string[];
  /** {@link DispatchEntry.command} as one POSIX shell command line (each argument quoted when needed). */
  shell: string;
}

/** Quotes one argument for a POSIX shell (left as is when it holds only safe characters). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Options of {@link planDispatch}. */
export interface DispatchOptions {
  /** A `--backend` for every command (left out: `auto`, each machine picks its best backend). */
  backend?: string;
  /** The program the commands start with (default `procpt`). */
  program?: readonly string[];
}

/** The status of one run for a scheduler (see {@link DispatchStatus}). */
export function dispatchStatus(plan: StudyPlan, run: PlannedRun): DispatchStatus {
  if (runStatus(run) === 'complete') return 'done';
  return waitingFor(plan, run).length > 0 ? 'blocked-by-deps' : 'pending';
}

/** The dependencies of `run` that are not complete (a dependency missing from the plan counts as not complete). */
export function waitingFor(plan: StudyPlan, run: PlannedRun): string[] {
  const byId = new Map(plan.runs.map((r) => [r.id, r]));
  return run.deps.filter((d) => {
    const dep = byId.get(d);
    return !dep || runStatus(dep) !== 'complete';
  });
}

/**
 * Every run of a plan, in dependency order, as one self-contained command each
 * (`procpt study exec-run --out <dir> --id <id>`), with its dependencies, wave and status: what a Slurm
 * job array, GNU parallel or Kubernetes Jobs execute. Any number of machines may run these commands at
 * once over shared storage: `exec-run` skips a complete run, refuses a run whose dependencies are not
 * complete and a run another process holds (exit 2), so no run executes twice.
 */
export function planDispatch(plan: StudyPlan, options: DispatchOptions = {}): DispatchEntry[] {
  const program = options.program ?? ['procpt'];
  const backend = options.backend && options.backend !== 'auto' ? ['--backend', options.backend] : [];
  const waves = new Map<string, number>();
  return plan.runs.map((run) => {
    const wave = run.deps.reduce((w, d) => Math.max(w, (waves.get(d) ?? -1) + 1), 0);
    waves.set(run.id, wave);
    const command = [...program, 'study', 'exec-run', '--out', plan.out, '--id', run.id, ...backend];
    return {
      id: run.id,
      deps: [...run.deps],
      wave,
      status: dispatchStatus(plan, run),
      dir: run.dir,
      command,
      shell: command.map(shellQuote).join(' '),
    };
  });
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return resolve(a) === resolve(b);
  }
}

/**
 * Reads `<out>/plan.json` (written by `procpt study plan` or `study run`). A plan made for a folder at
 * another path is refused: its run folders are absolute paths, so every machine must see the study
 * folder at the same path.
 */
export async function readSavedPlan(out: string): Promise<StudyPlan> {
  const path = join(out, PLAN_FILE);
  if (!existsSync(path)) {
    throw new ProcptError('usage', `${out} has no ${PLAN_FILE}`, {
      hint: 'write it first: procpt study plan <experiment> --preset <name> --out <dir>',
    });
  }
  let plan: StudyPlan;
  try {
    plan = JSON.parse(await readFile(path, 'utf8')) as StudyPlan;
  } catch (error) {
    throw new ProcptError('corrupt', `${path} is not valid JSON`, { cause: error });
  }
  if (
    typeof plan !== 'object' ||
    plan === null ||
    typeof plan.out !== 'string' ||
    !Array.isArray(plan.runs)
  ) {
    throw new ProcptError('corrupt', `${path} is not a procpt study plan`);
  }
  if (!samePath(plan.out, out)) {
    throw new ProcptError('usage', `${path} was made for ${plan.out}, not ${resolve(out)}`, {
      hint: 'every machine must see the study folder at the same path (or plan again with this --out)',
    });
  }
  return plan;
}

/** A run of a saved plan that this process holds the lock of (see {@link claimSavedRun}). */
export interface ClaimedRun {
  plan: StudyPlan;
  run: PlannedRun;
  /** The run folder's lock: pass it to `executeRun`, which releases it. */
  lock: FolderLock;
}

/** What one try to claim a run found (see {@link tryClaimRun}). */
export type ClaimAttempt =
  | { state: 'complete' }
  | { state: 'claimed'; claim: ClaimedRun }
  /** A dependency is not complete: `error` names them (a `usage` ProcptError, exit 2). */
  | { state: 'blocked'; waiting: string[]; error: ProcptError }
  /** Another process holds the run's folder: `error` names it (a `usage` ProcptError, exit 2). */
  | { state: 'busy'; error: ProcptError };

/**
 * One try to claim `run` of `plan` for this process, without throwing for the states a scheduler
 * expects: complete (nothing to do), blocked by a dependency, busy (another process, on this machine or
 * another one that sees the folder, holds its lock), or claimed (this process now holds the lock).
 */
export async function tryClaimRun(plan: StudyPlan, run: PlannedRun): Promise<ClaimAttempt> {
  if (runStatus(run) === 'complete') return { state: 'complete' };
  const waiting = waitingFor(plan, run);
  if (waiting.length > 0) return { state: 'blocked', waiting, error: depsError(plan, run, waiting) };
  await ensureDir(run.dir);
  let lock: FolderLock;
  try {
    lock = await acquireFolderLock(run.dir, { what: `study run ${run.id}` });
  } catch (error) {
    if (error instanceof ProcptError && error.code === 'usage') return { state: 'busy', error };
    throw error;
  }
  if (runStatus(run) === 'complete') {
    // another process finished it between the check and the lock
    await lock.release();
    return { state: 'complete' };
  }
  return { state: 'claimed', claim: { plan, run, lock } };
}

/** Options of {@link claimSavedRun}. */
export interface ClaimOptions {
  /**
   * Wait while a dependency is not complete or another process holds the run, instead of refusing
   * (polling every `pollMs`); a run found complete after the wait is not run again.
   */
  wait?: boolean;
  /** Poll interval of `wait` in milliseconds (default 10 000). */
  pollMs?: number;
  /** Stops a wait (an `interrupted` ProcptError). */
  signal?: AbortSignal;
  /** Called when the claim has to wait, with what it waits for (once per change). */
  onWait?: (message: string) => void;
}

/** Sleeps `ms`, or throws `interrupted` when `signal` aborts first. */
export async function pause(ms: number, signal?: AbortSignal, what = 'waiting'): Promise<void> {
  if (signal?.aborted) throw new ProcptError('interrupted', `interrupted while ${what}`);
  await new Promise<void>((resolvePromise) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolvePromise();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
  if (signal?.aborted) throw new ProcptError('interrupted', `interrupted while ${what}`);
}

/**
 * Claims the run `id` of the plan saved in `out` for this process, before anything heavy is loaded:
 * undefined when the run is complete (nothing to do); a `usage` ProcptError (exit 2) when the id is not
 * in the plan, or (unless `wait`) when a dependency is not complete or another process holds the run
 * (naming it: pid, host, start time, command). Otherwise the run's folder lock is taken and returned.
 * With `wait`, it waits for the dependencies and the holder instead: two workers given the same run
 * never both execute it; the second finds it complete and returns undefined.
 */
export async function claimSavedRun(
  out: string,
  id: string,
  options: ClaimOptions = {},
): Promise<ClaimedRun | undefined> {
  const plan = await readSavedPlan(out);
  const run = plan.runs.find((r) => r.id === id);
  if (!run) throw new ProcptError('usage', `no run ${JSON.stringify(id)} in ${join(out, PLAN_FILE)}`);
  let told = '';
  for (;;) {
    const attempt = await tryClaimRun(plan, run);
    if (attempt.state === 'complete') return undefined;
    if (attempt.state === 'claimed') return attempt.claim;
    if (!options.wait) throw attempt.error;
    const message = `waiting: ${attempt.error.message}`;
    if (message !== told) options.onWait?.(message);
    told = message;
    await pause(options.pollMs ?? 10_000, options.signal, `waiting for ${run.id}`);
  }
}

/** What {@link claimNextRun} found. */
export type NextRun =
  | { state: 'claimed'; claim: ClaimedRun }
  /** Every run of the plan is complete. */
  | { state: 'done' }
  /** Nothing can start now: `busy` runs are held by other processes, `blocked` ones wait for them. */
  | { state: 'wait'; busy: string[]; blocked: string[] };

/**
 * Claims the first run of `plan` (in dependency order) that can start now and no other process holds:
 * what `procpt study work` does between runs. Any number of workers, on any machines that see the study
 * folder, may call it at once; each run is claimed by one of them. A plan whose incomplete runs all
 * wait for dependencies that no one holds or can start is a `runtime` error.
 */
export async function claimNextRun(plan: StudyPlan): Promise<NextRun> {
  const busy: string[] = [];
  const blocked: string[] = [];
  for (const run of plan.runs) {
    const attempt = await tryClaimRun(plan, run);
    if (attempt.state === 'claimed') return attempt;
    if (attempt.state === 'busy') busy.push(run.id);
    if (attempt.state === 'blocked') blocked.push(run.id);
  }
  if (busy.length === 0 && blocked.length === 0) return { state: 'done' };
  if (busy.length === 0) {
    throw new ProcptError(
      'runtime',
      `${blocked.length} runs wait for dependencies that are not in the plan: ${blocked.join(', ')}`,
    );
  }
  return { state: 'wait', busy, blocked };
}

/** Refuses (`usage`, exit 2) a run whose dependencies are not all complete, naming them. */
export function assertDepsComplete(plan: StudyPlan, run: PlannedRun): void {
  const waiting = waitingFor(plan, run);
  if (waiting.length > 0) throw depsError(plan, run, waiting);
}

function depsError(plan: StudyPlan, run: PlannedRun, waiting: string[]): ProcptError {
  return new ProcptError(
    'usage',
    `run ${run.id} needs ${waiting.join(', ')}, which ${waiting.length === 1 ? 'is' : 'are'} not complete`,
    {
      hint: `run ${waiting.length === 1 ? 'it' : 'them'} first (procpt study plan --out ${plan.out} lists what can run now), or retry later`,
    },
  );
}
