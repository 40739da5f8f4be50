import type { Command } from 'commander';
import { type CliContext, parseIntOption, parseNumberOption } from '../context.js';
import { BACKEND_HELP, parseBackend, progressOption } from '../flags.js';
import type { CommandModule } from '../program.js';
import type { BenchFlags, TrainFlags } from './trainer-run.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `procpt backends`, `procpt train`, `procpt bench train` (from @procpt/trainer-gpu); the actions live
 * in `trainer-run.ts`, loaded when one runs.
 */
export const trainerCommands: CommandModule = {
  source: '@procpt/trainer-gpu',
  register(program: Command, ctx: CliContext) {
    program
      .command('backends')
      .description('list the tfjs backends procpt can train on here, and what each needs')
      .action(async () => (await import('./trainer-run.js')).backends(ctx));

    const train = program
      .command('train')
      .description(
        "train a GPT from a run config (YAML/JSON) or one of the paper's recipes into runs/<name>/",
      )
      .option('-c, --config <file>', 'run config (.yaml, .yml or .json)')
      .option('--recipe <name>', "start from one of the paper's run recipes (see --list-recipes)")
      .option(
        '-s, --set <key=value>',
        'override a config field, e.g. optimizer.lr=1e-3 (repeatable)',
        collect,
        [],
      )
      .option('-b, --backend <name>', `${BACKEND_HELP} (overrides the config)`, parseBackend)
      .option(
        '-r, --resume <dir>',
        'resume from a run directory or a checkpoint directory (appends to the run)',
      )
      .option('--force', 'start the run again in a folder that already holds it (finished or interrupted)')
      .option(
        '--gpu-memory <MB>',
        'GPU memory a webgpu run may use, checked before training (WebGPU does not report it; sets guards.gpuMemoryMB)',
        parseNumberOption('--gpu-memory'),
      );
    progressOption(train)
      .option('--list-recipes', "list the paper's run recipes and exit")
      .action(async (flags: TrainFlags) => (await import('./trainer-run.js')).train(ctx, flags));

    const bench =
      program.commands.find((c) => c.name() === 'bench') ??
      program.command('bench').description('benchmarks');
    bench
      .command('train')
      .description(
        'time training steps: tokens/s, ms/step, MFU and the trainer overhead over the bare model step',
      )
      .option('--size <nLayer_nHead_dModel>', 'model size', '2_4_128')
      .option('--vocab <n>', 'vocabulary size', parseIntOption('--vocab', { min: 2, limit: 'vocab' }), 64)
      .option(
        '--context <n>',
        'context length',
        parseIntOption('--context', { min: 2, limit: 'positions' }),
        128,
      )
      .option('--batch <n>', 'batch size', parseIntOption('--batch', 1), 16)
      .option('--steps <n>', 'timed steps', parseIntOption('--steps', 1), 10)
      .option('--warmup <n>', 'untimed warm-up steps', parseIntOption('--warmup', 0), 2)
      .option('-b, --backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .option(
        '--peak-flops <n>',
        'device peak FLOP/s for MFU (default: measured dense matmul)',
        parseNumberOption('--peak-flops', { min: 0, minExclusive: true }),
      )
      .action(async (flags: BenchFlags) => (await import('./trainer-run.js')).benchTrainCommand(ctx, flags));
  },
};
