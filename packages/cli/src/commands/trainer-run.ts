import { ProcptError, onInterrupt } from '@procpt/core';
import { RUN_RECIPES, resolveRecipe, runRecipeNames } from '@procpt/paper';
import { applySets, readConfigFile, runTraining } from '@procpt/runner';
import { type BackendPreference, benchTrain, listBackends } from '@procpt/trainer-gpu';
import type { Command } from 'commander';
import { BACKEND_HELP, parseBackend, silenceTfjsBanner } from '../backend-option.js';
import { type CliContext, parseIntOption, parseNumberOption } from '../context.js';
import type { CommandModule } from '../program.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface TrainFlags {
  config?: string;
  recipe?: string;
  set: string[];
  backend?: BackendPreference;
  resume?: string;
  force?: boolean;
  progress: boolean;
  listRecipes?: boolean;
  gpuMemory?: number;
}

async function train(ctx: CliContext, flags: TrainFlags): Promise<void> {
  if (flags.listRecipes) {
    ctx.result(
      Object.fromEntries(
        runRecipeNames().map((n) => [n, { name: RUN_RECIPES[n]!.name, steps: RUN_RECIPES[n]!.steps }]),
      ),
      () => runRecipeNames().join('\n'),
    );
    return;
  }
  if (!flags.config && !flags.recipe) {
    throw new ProcptError('usage', 'procpt train needs --config FILE.yaml or --recipe NAME', {
      hint: "procpt train --list-recipes shows the paper's run recipes",
    });
  }
  let raw: unknown = flags.config ? await readConfigFile(flags.config) : {};
  if (flags.recipe) raw = { ...(raw as object), recipe: flags.recipe };
  raw = applySets(raw, flags.set);
  // validated with the config (a positive number of MB)
  if (flags.gpuMemory !== undefined) raw = applySets(raw, [`guards.gpuMemoryMB=${flags.gpuMemory}`]);
  const config = resolveRecipe(raw, flags.config ?? `recipe ${flags.recipe}`);
  await silenceTfjsBanner();
  const controller = new AbortController();
  // first Ctrl-C / SIGTERM: checkpoint and stop; a second one exits at once (temp files removed, lock released)
  const stopListening = onInterrupt(() => {
    ctx.warn('interrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)');
    controller.abort();
  });
  try {
    const summary = await runTraining(config, {
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(flags.force ? { force: true } : {}),
      ...(flags.backend ? { backend: flags.backend } : {}),
      signal: controller.signal,
      progress: flags.progress && !ctx.json,
      onInfo: (line) => ctx.warn(line),
      onWarn: (line) => ctx.warn(`warning: ${line}`),
    });
    const { result } = summary;
    ctx.result(
      {
        runDir: summary.runDir,
        final: summary.finalDir,
        backend: summary.backend.name,
        device: summary.backend.device,
        steps: result.state.step,
        reason: result.reason,
        tokens: result.state.tokens,
        lastEval: result.lastEval ?? null,
      },
      () =>
        `${result.reason} at step ${result.state.step}: ${summary.finalDir}` +
        (result.lastEval
          ? ` (eval loss ${result.lastEval.loss.toFixed(4)}, accuracy ${(100 * result.lastEval.accuracy).toFixed(2)}%)`
          : ''),
    );
  } finally {
    stopListening();
  }
}

interface BenchFlags {
  size: string;
  vocab: number;
  context: number;
  batch: number;
  steps: number;
  warmup: number;
  backend: BackendPreference;
  peakFlops?: number;
}

/** `procpt backends`, `procpt train`, `procpt bench train` (from @procpt/trainer-gpu). */
export const trainerCommands: CommandModule = {
  source: '@procpt/trainer-gpu',
  register(program: Command, ctx: CliContext) {
    program
      .command('backends')
      .description('list the tfjs backends procpt can train on here, and what each needs')
      .action(async () => {
        await silenceTfjsBanner();
        const rows = await listBackends();
        ctx.result(rows, () =>
          rows
            .map(
              (r) =>
                `${r.name.padEnd(15)} ${r.status.padEnd(10)} ${r.package}${r.reason && r.status !== 'available' ? `: ${r.reason}` : ''}${r.detail ? `\n${' '.repeat(16)}${r.detail}` : ''}\n${' '.repeat(16)}needs: ${r.needs}`,
            )
            .join('\n'),
        );
      });

    program
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
      )
      .option('--no-progress', 'no progress bar')
      .option('--list-recipes', "list the paper's run recipes and exit")
      .action(async (flags: TrainFlags) => train(ctx, flags));

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
      .action(async (flags: BenchFlags) => {
        await silenceTfjsBanner();
        const r = await benchTrain({ ...flags, ...(flags.peakFlops ? { peakFlops: flags.peakFlops } : {}) });
        const out = {
          backend: r.backend,
          tokensPerSecond: r.tokensPerSecond,
          msPerStep: r.msPerStep,
          mfu: r.mfu,
          device: r.device,
          peakFlops: r.peakFlops,
          peakSource: r.peakSource,
          bareMsPerStep: r.bareMsPerStep,
          trainerOverhead: r.trainerOverhead,
          shape: r.shape,
        };
        ctx.result(
          out,
          () =>
            `${r.backend} (${r.device}): ${r.tokensPerSecond} tokens/s, ${r.msPerStep} ms/step, MFU ${(100 * r.mfu).toFixed(1)}% of ${(r.peakFlops / 1e9).toFixed(1)} GFLOP/s (${r.peakSource}); bare model step ${r.bareMsPerStep} ms, trainer overhead ${(100 * r.trainerOverhead).toFixed(1)}%`,
        );
      });
  },
};
