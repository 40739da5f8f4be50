import { resolve } from 'node:path';
import { ProcptError } from '@procpt/core';
import type { Command } from 'commander';
import { parseIntOption, parseNumberOption } from '../context.js';
import {
  BACKEND_HELP,
  EXPERIMENT_NAMES,
  STUDY_PRESET_NAMES,
  parseBackend,
  progressOption,
} from '../flags.js';
import type { CommandModule } from '../program.js';
import type { ExecRunFlags, RunFlags, StudyPlanFlags, WorkFlags } from './study-run.js';

const EXPERIMENT_HELP = `all | ${EXPERIMENT_NAMES.join(' | ')} (comma-separated)`;

/** The options that choose a plan, shared by `study run` and `study plan`. */
function planOptions(cmd: Command, presetRequired: boolean): Command {
  const preset = `study preset: ${STUDY_PRESET_NAMES.join(' | ')}`;
  return (
    presetRequired ? cmd.requiredOption('--preset <name>', preset) : cmd.option('--preset <name>', preset)
  )
    .option('--out <dir>', 'study directory (default runs/study-<preset>)')
    .option('--warmup <file.json>', 'override warm-up recipes per procedural type (merged into the preset)')
    .option('--size <size>', 'semantic model size: 124M | 350M | 1.3B | nLayer_nHead_dModel')
    .option('--force', 'use an --out folder that holds other files (nothing there is deleted)');
}

/**
 * `procpt study run | plan | exec-run | report` (from the private reference app `@procpt/study`). The
 * actions live in `study-run.ts`, loaded when one runs; `study plan --out` without `--preset` and
 * `exec-run` of a complete, blocked or busy run load only `@procpt/study/status` (no tfjs).
 */
export const studyCommands: CommandModule = {
  source: '@procpt/study',
  register(program, ctx) {
    const group = program
      .command('study')
      .description("reproduce the paper's study end to end: plans of runs and a report next to the paper");

    const run = planOptions(
      group
        .command('run')
        .description(
          'run an experiment (or all) of the study; finished runs are skipped, interrupted ones resumed',
        )
        .argument('<experiment>', EXPERIMENT_HELP),
      true,
    )
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .option(
        '--jobs <n>',
        'runs at once, each in its own process',
        parseIntOption('--jobs', { min: 1, limit: 'workers' }),
        1,
      )
      .option('--dry-run', 'print the plan with estimated FLOPs and time on the backend; run nothing');
    progressOption(run).action(async (experiment: string, flags: RunFlags) =>
      (await import('./study-run.js')).studyRun(ctx, experiment, flags),
    );

    planOptions(
      group
        .command('plan')
        .description(
          'write plan.json and list its runs as commands (--json) for a scheduler: Slurm, GNU parallel, Kubernetes; without --preset, list the saved plan',
        )
        .argument('[experiment]', `${EXPERIMENT_HELP}; default all`),
      false,
    )
      .option('--backend <name>', `put --backend <name> in every command (${BACKEND_HELP})`, parseBackend)
      .action(async (experiment: string | undefined, flags: StudyPlanFlags) => {
        if (flags.preset !== undefined) {
          await (await import('./study-run.js')).studyPlan(ctx, experiment ?? 'all', flags);
          return;
        }
        if (experiment !== undefined || flags.warmup !== undefined || flags.size !== undefined) {
          throw new ProcptError('usage', 'study plan needs --preset to plan experiments', {
            hint: 'procpt study plan <experiment> --preset <name> --out <dir>; without --preset it lists the plan saved in --out',
          });
        }
        if (flags.out === undefined) {
          throw new ProcptError(
            'usage',
            'study plan needs --preset (to plan) or --out (to list a saved plan)',
          );
        }
        const { planDispatch, readSavedPlan } = await import('@procpt/study/status');
        const { printDispatch } = await import('./study-dispatch.js');
        const plan = await readSavedPlan(resolve(flags.out));
        printDispatch(ctx, plan, planDispatch(plan, flags.backend ? { backend: flags.backend } : {}));
      });

    const poll = (cmd: Command) =>
      cmd.option(
        '--poll <seconds>',
        'with --wait / while waiting: look again every this many seconds (default 10)',
        parseNumberOption('--poll', { min: 0.01, max: 86_400 }),
      );

    poll(
      group
        .command('exec-run')
        .description(
          'execute one run of a saved plan, on any machine that sees --out: exit 0 when done or already complete, 2 when a dependency is not complete or another process holds the run (unless --wait)',
        )
        .requiredOption('--out <dir>', 'study directory holding plan.json')
        .requiredOption('--id <id>', 'run id (procpt study plan lists them)')
        .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
        .option(
          '--wait',
          'wait for its dependencies and for another process holding it, instead of exit 2 (a run found complete then is not run again)',
        ),
    ).action(async (flags: ExecRunFlags) => {
      // The claim (plan, status, dependencies, the run's lock) loads no tfjs: a complete, blocked or
      // busy run is answered in a fraction of a second.
      const { claimSavedRun } = await import('@procpt/study/status');
      const claim = await claimSavedRun(resolve(flags.out), flags.id, {
        wait: flags.wait === true,
        ...(flags.poll === undefined ? {} : { pollMs: flags.poll * 1000 }),
        onWait: (line) => ctx.warn(line),
      });
      if (!claim) {
        ctx.result({ id: flags.id, status: 'complete', wallMs: 0 }, () => `${flags.id}: already complete`);
        return;
      }
      let execute: typeof import('./study-run.js').executeClaimed;
      try {
        execute = (await import('./study-run.js')).executeClaimed;
      } catch (error) {
        await claim.lock.release();
        throw error;
      }
      await execute(ctx, claim, flags.backend);
    });

    poll(
      group
        .command('work')
        .description(
          'drain a saved plan: execute the next run that can start and no other worker holds, until all are complete (start one per machine over shared storage)',
        )
        .requiredOption('--out <dir>', 'study directory holding plan.json')
        .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto'),
    ).action(async (flags: WorkFlags) => (await import('./study-run.js')).studyWork(ctx, flags));

    group
      .command('report')
      .description('write report.md and a self-contained report.html (tables, SVG plots, paper values)')
      .argument('<dir>', 'study directory (the --out of `procpt study run`)')
      .action(async (dir: string) => (await import('./study-run.js')).studyReport(ctx, dir));
  },
};
