// A worker that drains a saved plan: `procpt study work`. Start one on each machine that sees the study
// folder (a Slurm array, GNU parallel over ssh, a Kubernetes Job with N pods); each claims the next run
// that can start and no one else holds (its folder lock), executes it, and goes on until every run of the
// plan is complete. Runs are never executed twice: a claimed run is locked, and completion is checked
// again under the lock.
import { ProcptError } from '@procpt/core';
import { type ExecuteOptions, executeRun } from './execute.js';
import { claimNextRun, pause, readSavedPlan } from './status.js';

/** Options of {@link workSavedPlan}. */
export interface WorkOptions extends Omit<ExecuteOptions, 'jobs' | 'spawnRun' | 'force'> {
  /** How often to look again while every remaining run is held by others or waits for them (ms, default 10 000). */
  pollMs?: number;
  /** Called before each run this worker executes. */
  onRun?: (id: string) => void;
}

/** What {@link workSavedPlan} did. */
export interface WorkOutcome {
  /** The runs this worker executed, in order. */
  executed: string[];
  /** Runs of the plan in all. */
  runs: number;
  wallMs: number;
}

/**
 * Executes runs of the plan saved in `out` (see `procpt study plan`) until all are complete, together
 * with any number of other workers on this or other machines. A run that fails stops this worker (its
 * error is thrown; the run's lock is released, so a later worker retries it).
 */
export async function workSavedPlan(out: string, options: WorkOptions = {}): Promise<WorkOutcome> {
  const { pollMs = 10_000, onRun, ...execute } = options;
  const started = performance.now();
  const plan = await readSavedPlan(out);
  const executed: string[] = [];
  let told = '';
  for (;;) {
    if (options.signal?.aborted) throw new ProcptError('interrupted', 'interrupted between runs');
    const next = await claimNextRun(plan);
    if (next.state === 'done') break;
    if (next.state === 'claimed') {
      told = '';
      onRun?.(next.claim.run.id);
      await executeRun(plan, next.claim.run, { ...execute, lock: next.claim.lock });
      executed.push(next.claim.run.id);
      continue;
    }
    const message = `waiting: ${next.busy.length} runs held by other workers (${next.busy.join(', ')})${next.blocked.length ? `, ${next.blocked.length} waiting for them` : ''}`;
    if (message !== told) options.onWarn?.(message);
    told = message;
    await pause(pollMs, options.signal, 'waiting for other workers');
  }
  return { executed, runs: plan.runs.length, wallMs: performance.now() - started };
}
