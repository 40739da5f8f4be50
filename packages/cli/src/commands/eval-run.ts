import { Progress, ProcptError } from '@procpt/core';
import { DiagnosticDataset, aggregateRunDirs, diagnosticTask, evaluateDiagnostic } from '@procpt/eval';
import { STUDY_PRESET_NAMES, diagnosticProtocol } from '@procpt/paper';
import type { BackendPreference } from '@procpt/trainer-gpu';
import { BACKEND_HELP, parseBackend, silenceTfjsBanner } from '../backend-option.js';
import type { Command } from 'commander';
import { parseIntOption } from '../context.js';
import type { CommandModule } from '../program.js';

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

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(2)}%`);

/** `procpt eval diag | aggregate | protocol` (from `@procpt/eval`). */
export const evalCommands: CommandModule = {
  source: '@procpt/eval',
  register(program, ctx) {
    const group = evalGroup(program);

    group
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
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .action(
        async (opts: {
          task: string;
          checkpoint: string;
          n: number;
          seed?: number;
          batch: number;
          backend: BackendPreference;
        }) => {
          const task = diagnosticTask(opts.task);
          // Loaded on use: backends and the model are heavy, and `procpt --help` should not pay for them.
          await silenceTfjsBanner();
          const { selectBackend } = await import('@procpt/trainer-gpu');
          const { loadCheckpoint } = await import('@procpt/model');
          const backend = await selectBackend(opts.backend);
          const { model, meta } = await loadCheckpoint(opts.checkpoint);
          try {
            const metaSeed =
              typeof meta.seed === 'number' && Number.isInteger(meta.seed) ? meta.seed : undefined;
            const seed = opts.seed ?? metaSeed ?? 0;
            const dataset = DiagnosticDataset.create({ task, seed, testSize: opts.n });
            const progress = new Progress({
              unit: 'examples',
              total: opts.n,
              label: `eval ${task.name}`,
              silent: ctx.json,
            });
            const score = await evaluateDiagnostic(model, dataset, {
              batchSize: opts.batch,
              onProgress: (done) => progress.update(done),
            });
            progress.stop();
            const result = {
              checkpoint: opts.checkpoint,
              paperId: task.paperId,
              seed,
              backend: backend.name,
              ...score,
            };
            ctx.result(result, () =>
              [
                `${task.name} (${task.paperId}), ${score.examples} test examples, seed ${seed}, backend ${backend.name}`,
                `  accuracy (paper metric)   ${pct(score.accuracy)}  over ${score.scored} scored positions`,
                `  exact match (strict)      ${pct(score.exactMatch)}`,
                `  answer-token accuracy     ${pct(score.answerTokenAccuracy)}`,
                `  loss (paper mask)         ${score.loss === null ? 'n/a' : score.loss.toFixed(4)}`,
                `  scoring: ${task.scoringNote}`,
              ].join('\n'),
            );
          } finally {
            model.dispose();
          }
        },
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
      .action(
        async (
          runDirs: string[],
          opts: { out: string; metric: string; resamples: number; bootstrapSeed: number; force?: boolean },
        ) => {
          const report = await aggregateRunDirs(runDirs, opts.out, {
            force: opts.force === true,
            metric: opts.metric,
            bootstrap: { resamples: opts.resamples, seed: opts.bootstrapSeed },
          });
          ctx.result({ out: opts.out, runs: report.runs, files: report.files }, () =>
            [`aggregated ${report.runs} runs into ${opts.out}:`, ...report.files.map((f) => `  ${f}`)].join(
              '\n',
            ),
          );
        },
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
      .action((opts: { task: string; preset: string }) => {
        ctx.result(diagnosticProtocol(opts.task, opts.preset));
      });
  },
};
