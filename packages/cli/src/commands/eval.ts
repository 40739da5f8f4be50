import type { Command } from 'commander';
import { parseIntOption } from '../context.js';
import { BACKEND_HELP, STUDY_PRESET_NAMES, parseBackend, progressOption } from '../flags.js';
import type { CommandModule } from '../program.js';
import type { AggregateFlags, DiagFlags } from './eval-run.js';

/**
 * The `eval` command group, shared with other packages' modules (the model package adds `eval loss`):
 * whichever module registers first creates it, the others add subcommands to it.
 */
export function evalGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'eval') ??
    program.command('eval').description('evaluate checkpoints and aggregate run results')
  );
}

/**
 * `procpt eval diag | aggregate | protocol` (from `@procpt/eval`); the actions live in `eval-run.ts`,
 * loaded when one runs.
 */
export const evalCommands: CommandModule = {
  source: '@procpt/eval',
  register(program, ctx) {
    const group = evalGroup(program);

    const diag = group
      .command('diag')
      .description(
        "accuracy of a checkpoint on a diagnostic task's fixed test set (the paper's metric and strict exact match)",
      )
      .requiredOption(
        '--task <name>',
        'haystack | addition | reversed-addition | multiplication | sort (or a paper id)',
      )
      .requiredOption('--checkpoint <dir>', 'checkpoint directory (model.safetensors + config.json)')
      .option('--n <count>', 'test-set size', parseIntOption('--n', 1, 1_000_000), 4000)
      .option(
        '--seed <seed>',
        'run seed that fixes the test set (default: the checkpoint meta seed, else 0)',
        parseIntOption('--seed', 0),
      )
      .option('--batch <rows>', 'examples per forward pass', parseIntOption('--batch', 1, 100_000), 250)
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto');
    progressOption(diag).action(async (opts: DiagFlags) =>
      (await import('./eval-run.js')).evalDiag(ctx, opts),
    );

    group
      .command('aggregate')
      .description('tables (Markdown + CSV) and SVG plots from run directories (each with a result.json)')
      .argument('<runDirs...>', 'run directories')
      .requiredOption('--out <dir>', 'output directory')
      .option('--metric <name>', 'diagnostic metric of the tables (accuracy | exactMatch | loss)', 'accuracy')
      .option('--resamples <n>', 'bootstrap resamples', parseIntOption('--resamples', 10, 1_000_000), 10_000)
      .option('--bootstrap-seed <seed>', 'bootstrap seed', parseIntOption('--bootstrap-seed', 0), 0)
      .option('--force', 'write into an --out that holds other files (same-named ones are replaced)')
      .action(async (runDirs: string[], opts: AggregateFlags) =>
        (await import('./eval-run.js')).evalAggregate(ctx, runDirs, opts),
      );

    group
      .command('protocol')
      .description(
        "the paper's diagnostic protocol for a task (model, optimiser, schedule, budget, seeds) as JSON",
      )
      .requiredOption('--task <name>', 'diagnostic task')
      .option(
        '--preset <name>',
        `study preset whose budget to use: ${STUDY_PRESET_NAMES.join(' | ')}`,
        'paper',
      )
      .action(async (opts: { task: string; preset: string }) =>
        (await import('./eval-run.js')).evalProtocol(ctx, opts),
      );
  },
};
