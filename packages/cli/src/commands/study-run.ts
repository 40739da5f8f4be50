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
import { assertFitsInMemory, estimateTrainingMemory } from '@procpt/trainer-gpu';
import { STUDY_PRESET_NAMES, type WarmupRecipe, studyPreset } from '@procpt/paper';
import {
  estimatePlan,
  executeSavedRun,
  parseExperiments,
  planStudy,
  runStudy,
  writeReport,
} from '@procpt/study';
import { BACKEND_HELP, parseBackend, silenceTfjsBanner } from '../backend-option.js';
import { parseIntOption } from '../context.js';
import type { CommandModule } from '../program.js';

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

interface RunFlags {
  preset: string;
  out?: string;
  backend: string;
  jobs: number;
  dryRun?: boolean;
  warmup?: string;
  size?: string;
  force?: boolean;
}

/** `procpt study run | report` (from the private reference app `@procpt/study`). */
export const studyCommands: CommandModule = {
  source: '@procpt/study',
  register(program, ctx) {
    const group = program
      .command('study')
      .description("reproduce the paper's study end to end: plans of runs and a report next to the paper");

    group
      .command('run')
      .description(
        'run an experiment (or all) of the study; finished runs are skipped, interrupted ones resumed',
      )
      .argument(
        '<experiment>',
        'all | diagnostics | transfer-parts | assembly | mixtures | semantic (comma-separated)',
      )
      .requiredOption('--preset <name>', STUDY_PRESET_NAMES.join(' | '))
      .option('--out <dir>', 'study directory (default runs/study-<preset>)')
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .option(
        '--jobs <n>',
        'runs at once, each in its own process',
        parseIntOption('--jobs', { min: 1, limit: 'workers' }),
        1,
      )
      .option('--dry-run', 'print the plan with estimated FLOPs and time on the backend; run nothing')
      .option('--warmup <file.json>', 'override warm-up recipes per procedural type (merged into the preset)')
      .option('--size <size>', 'semantic model size: 124M | 350M | 1.3B | nLayer_nHead_dModel')
      .option('--force', 'use an --out folder that holds other files (nothing there is deleted)')
      .action(async (experiment: string, flags: RunFlags) => {
        const experiments = parseExperiments(experiment);
        if (flags.size !== undefined && !experiments.includes('semantic')) {
          // --size sizes the semantic experiment's model only: given without it, it would be ignored
          throw new ProcptError(
            'usage',
            `--size sets the semantic experiment's model size, but ${JSON.stringify(experiment)} does not run it`,
            { hint: 'add semantic to the experiment list (e.g. diagnostics,semantic) or drop --size' },
          );
        }
        await silenceTfjsBanner();
        const preset = studyPreset(flags.preset, {
          ...(flags.warmup ? { warmup: await readWarmupOverrides(flags.warmup) } : {}),
          ...(flags.size ? { semanticSize: flags.size } : {}),
        });
        const out = resolve(flags.out ?? join('runs', `study-${preset.name}`));
        const plan = planStudy(experiments, preset, out);
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
          ctx.result(
            { plan: { preset: plan.preset, experiments: plan.experiments, out }, estimate: est },
            () =>
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
            progress: !ctx.json,
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
      });

    group
      .command('report')
      .description('write report.md and a self-contained report.html (tables, SVG plots, paper values)')
      .argument('<dir>', 'study directory (the --out of `procpt study run`)')
      .action(async (dir: string) => {
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
      });

    group
      .command('exec-run', { hidden: true })
      .description('execute one run of a saved plan (the worker of --jobs)')
      .requiredOption('--out <dir>', 'study directory holding plan.json')
      .requiredOption('--id <id>', 'run id')
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .action(async (flags: { out: string; id: string; backend: string }) => {
        await silenceTfjsBanner();
        const controller = new AbortController();
        const stopListening = onInterrupt(() => controller.abort());
        try {
          await executeSavedRun(resolve(flags.out), flags.id, {
            backend: flags.backend,
            signal: controller.signal,
          });
        } finally {
          stopListening();
        }
      });
  },
};

/**
 * Refuses a plan with a run that cannot fit in memory (e.g. `--size 99_99_9999`) before anything
 * runs, with the estimate `train` applies to each run; runs whose vocabulary comes from their data
 * are checked when they start.
 */
function checkPlanMemory(plan: ReturnType<typeof planStudy>): void {
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
