import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import {
  ProcptError,
  formatCount,
  formatDuration,
  limitBytes,
  onInterrupt,
  readTextFileLimited,
} from '@procpt/core';
import { gptConfig } from '@procpt/model';
import { type WarmupRecipe, studyPreset } from '@procpt/paper';
import {
  type ClaimedRun,
  type StudyPlan,
  estimatePlan,
  executeRun,
  parseExperiments,
  planStudy,
  runStudy,
  workSavedPlan,
  writeReport,
  writeStudyPlan,
} from '@procpt/study';
import { assertFitsInMemory, estimateTrainingMemory } from '@procpt/trainer-gpu';
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';
import { printDispatch } from './study-dispatch.js';

async function readWarmupOverrides(path: string): Promise<Record<string, Partial<WarmupRecipe>>> {
  const text = await readTextFileLimited(path, `--warmup ${path}`, { code: 'usage' });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProcptError('usage', `--warmup ${path}: cannot read it as JSON (${(error as Error).message})`, {
      hint: 'pass a JSON file such as {"dyck": {"steps": 2000, "params": {"k": 16, "length": 128}}}',
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProcptError('usage', `--warmup ${path} must hold an object keyed by procedural type`);
  }
  return value as Record<string, Partial<WarmupRecipe>>;
}

/** The flags that choose a study's plan (`study run` and `study plan`). */
export interface PlanFlags {
  preset: string;
  out?: string;
  warmup?: string;
  size?: string;
  force?: boolean;
}

/** The flags of `procpt study run`. */
export interface RunFlags extends PlanFlags {
  backend: string;
  jobs: number;
  dryRun?: boolean;
  progress?: boolean;
}

/** The plan of `experiment` under the flags' preset, `--warmup` and `--size`, in `--out`. */
async function makePlan(experiment: string, flags: PlanFlags): Promise<StudyPlan> {
  const experiments = parseExperiments(experiment);
  if (flags.size !== undefined && !experiments.includes('semantic')) {
    // --size sizes the semantic experiment's model only: given without it, it would be ignored
    throw new ProcptError(
      'usage',
      `--size sets the semantic experiment's model size, but ${JSON.stringify(experiment)} does not run it`,
      { hint: 'add semantic to the experiment list (e.g. diagnostics,semantic) or drop --size' },
    );
  }
  const preset = studyPreset(flags.preset, {
    ...(flags.warmup ? { warmup: await readWarmupOverrides(flags.warmup) } : {}),
    ...(flags.size ? { semanticSize: flags.size } : {}),
  });
  const out = resolve(flags.out ?? join('runs', `study-${preset.name}`));
  return planStudy(experiments, preset, out);
}

/** The action of `procpt study run`. */
export async function studyRun(ctx: CliContext, experiment: string, flags: RunFlags): Promise<void> {
  const plan = await makePlan(experiment, flags);
  const out = plan.out;
  try {
    checkPlanMemory(plan);
  } catch (error) {
    // a dry run may plan for a bigger machine than this one: say so, and still estimate
    if (!flags.dryRun || !(error instanceof ProcptError)) throw error;
    ctx.warn(`note: ${error.message} on this machine`);
  }
  for (const note of plan.notes) ctx.warn(`note: ${note}`);
  if (flags.dryRun) {
    const est = await estimatePlan(plan, { backend: flags.backend });
    ctx.result({ plan: { preset: plan.preset, experiments: plan.experiments, out }, estimate: est }, () =>
      [
        `plan: ${plan.experiments.join(', ')} · preset ${plan.preset} · ${plan.runs.length} runs · ${out}`,
        ...plan.runs.map((r, i) => {
          const e = est.runs[i]!;
          const deps = r.deps.length ? `  ← ${r.deps.join(', ')}` : '';
          return `  ${e.status.padEnd(11)} ${r.id.padEnd(48)} ${formatCount(e.tokens).padStart(7)} tok  ${(e.flops / 1e12).toFixed(3).padStart(9)} TFLOP  ${formatDuration(e.seconds * 1000).padStart(7)}${deps}`;
        }),
        `total (runs not complete): ${(est.flops / 1e12).toFixed(2)} TFLOP, about ${formatDuration(est.seconds * 1000)} on ${est.backend}`,
        `  (${est.method})`,
      ].join('\n'),
    );
    return;
  }
  const controller = new AbortController();
  const stopListening = onInterrupt(() => {
    ctx.warn('interrupt: finishing the current step and checkpointing (Ctrl-C again to kill)');
    controller.abort();
  });
  try {
    const outcome = await runStudy(plan, {
      ...(flags.force ? { force: true } : {}),
      backend: flags.backend,
      jobs: flags.jobs,
      signal: controller.signal,
      progress: showProgress(ctx, flags),
      onInfo: (line) => ctx.info(line),
      onWarn: (line) => ctx.warn(line),
      spawnRun: (dir, id) => spawnWorker(dir, id, flags.backend),
    });
    ctx.result({ out, ...outcome }, () =>
      [
        `study done in ${formatDuration(outcome.wallMs)} on ${outcome.backend}: ${outcome.executed} runs executed, ${outcome.skipped} already complete`,
        `report: procpt study report ${out}`,
      ].join('\n'),
    );
  } finally {
    stopListening();
  }
}

/** The flags of `procpt study plan` when it plans (`--preset` given). */
export interface StudyPlanFlags extends PlanFlags {
  backend?: string;
}

/**
 * The action of `procpt study plan` with `--preset`: writes `plan.json` (under the study lock, as
 * `study run` does) and lists its runs as commands.
 */
export async function studyPlan(ctx: CliContext, experiment: string, flags: StudyPlanFlags): Promise<void> {
  const plan = await makePlan(experiment, flags);
  try {
    checkPlanMemory(plan);
  } catch (error) {
    // a plan is often made on a login node for bigger machines: say so, and still write it
    if (!(error instanceof ProcptError)) throw error;
    ctx.warn(`note: ${error.message} on this machine`);
  }
  for (const note of plan.notes) ctx.warn(`note: ${note}`);
  const runs = await writeStudyPlan(plan, {
    ...(flags.force ? { force: true } : {}),
    ...(flags.backend ? { backend: flags.backend } : {}),
  });
  printDispatch(ctx, plan, runs);
}

/** The flags of `procpt study exec-run`. */
export interface ExecRunFlags {
  out: string;
  id: string;
  backend: string;
  wait?: boolean;
  /** Seconds between looks while waiting. */
  poll?: number;
}

/** The flags of `procpt study work`. */
export interface WorkFlags {
  out: string;
  backend: string;
  /** Seconds between looks while every remaining run is held by other workers. */
  poll?: number;
}

/** The action of `procpt study work`: executes runs of the saved plan until all are complete. */
export async function studyWork(ctx: CliContext, flags: WorkFlags): Promise<void> {
  const controller = new AbortController();
  const stopListening = onInterrupt(() => {
    ctx.warn('interrupt: finishing the current step and checkpointing (Ctrl-C again to kill)');
    controller.abort();
  });
  try {
    const outcome = await workSavedPlan(resolve(flags.out), {
      backend: flags.backend,
      signal: controller.signal,
      ...(flags.poll === undefined ? {} : { pollMs: flags.poll * 1000 }),
      onRun: (id) => ctx.warn(`run ${id}`),
      onWarn: (line) => ctx.warn(line),
    });
    const wallMs = Math.round(outcome.wallMs);
    ctx.result({ out: resolve(flags.out), runs: outcome.runs, executed: outcome.executed, wallMs }, () =>
      [
        `plan complete (${outcome.runs} runs); this worker executed ${outcome.executed.length} in ${formatDuration(wallMs)}`,
        ...outcome.executed.map((id) => `  ${id}`),
      ].join('\n'),
    );
  } finally {
    stopListening();
  }
}

/** The action of `procpt study report`. */
export async function studyReport(ctx: CliContext, dir: string): Promise<void> {
  const { files, json } = await writeReport(resolve(dir));
  if (ctx.json) {
    ctx.result(json);
    return;
  }
  ctx.info(`wrote ${files.map((f) => join(dir, f)).join(', ')}`);
  for (const d of json.diagnostics) {
    ctx.info(
      `  ${d.task.padEnd(18)} ${d.pretraining.padEnd(16)} ${(100 * d.mean).toFixed(1).padStart(5)}% [${(100 * d.ci[0]).toFixed(1)}, ${(100 * d.ci[1]).toFixed(1)}] n=${d.seeds}`,
    );
  }
}

/**
 * Executes a run that `claimSavedRun` claimed (the heavy half of `procpt study exec-run`; the claim
 * is in `study.ts`, before tfjs loads).
 */
export async function executeClaimed(ctx: CliContext, claim: ClaimedRun, backend: string): Promise<void> {
  const controller = new AbortController();
  const stopListening = onInterrupt(() => controller.abort());
  const started = performance.now();
  try {
    const outcome = await executeRun(claim.plan, claim.run, {
      backend,
      lock: claim.lock,
      signal: controller.signal,
      onWarn: (line) => ctx.warn(line),
    });
    const wallMs = performance.now() - started;
    const status = outcome === 'executed' ? 'executed' : 'complete';
    ctx.result({ id: claim.run.id, status, wallMs: Math.round(wallMs) }, () =>
      status === 'executed'
        ? `${claim.run.id}: done in ${formatDuration(wallMs)}`
        : `${claim.run.id}: already complete`,
    );
  } finally {
    stopListening();
  }
}

/**
 * Refuses a plan with a run that cannot fit in memory (e.g. `--size 99_99_9999`) before anything
 * runs, with the estimate `train` applies to each run; runs whose vocabulary comes from their data
 * are checked when they start.
 */
function checkPlanMemory(plan: StudyPlan): void {
  for (const run of plan.runs) {
    const c = run.config;
    const vocabSize = c.model?.vocabSize ?? run.semantic?.vocabSize;
    const length = c.data?.length;
    if (!c.model?.size || vocabSize === undefined || length === undefined) continue;
    const model = gptConfig(c.model.size, { vocabSize, nPositions: c.model.nPositions ?? length - 1 });
    const estimate = estimateTrainingMemory(model, {
      batchSize: c.data.batchSize,
      length,
      accumulation: c.data.accumulation ?? 1,
    });
    assertFitsInMemory(estimate, limitBytes('memory'), `study run ${run.id}`, 'choose a smaller --size');
  }
}

/** Runs one planned run in a child `procpt study exec-run` process (how `--jobs N` parallelises). */
function spawnWorker(out: string, id: string, backend: string): Promise<void> {
  const script = process.argv[1];
  if (!script) return Promise.reject(new ProcptError('runtime', 'cannot locate the procpt entry script'));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [script, 'study', 'exec-run', '--out', out, '--id', id, '--backend', backend],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new ProcptError('runtime', `run ${id} failed (${signal ?? `exit ${code}`})`, {
            hint: `rerun it alone: procpt study exec-run --out ${out} --id ${id}`,
          }),
        );
    });
  });
}
