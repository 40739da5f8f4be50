import type { Command } from 'commander';
import { parseIntOption, parseNumberOption } from '../context.js';
import { BACKEND_HELP, parseBackend } from '../flags.js';
import type { CommandModule } from '../program.js';
import { evalGroup } from './eval.js';
import type { InitFlags, LossFlags, TransferFlags } from './model-run.js';

function shapeOptions(cmd: Command): Command {
  return cmd
    .option('--size <L_H_D>', 'model size nLayer_nHead_dModel, e.g. 2_4_16')
    .option('--vocab <n>', 'vocabulary size', parseIntOption('--vocab', { min: 1, limit: 'vocab' }))
    .option(
      '--positions <n>',
      'context length (n_positions)',
      parseIntOption('--positions', { min: 1, limit: 'positions' }),
    )
    .option('--untied', 'separate lm_head.weight instead of tying it to wte')
    .option(
      '--dropout <p>',
      'dropout probability (default 0.1)',
      parseNumberOption('--dropout', { min: 0, max: 1, maxExclusive: true }),
    );
}

/**
 * `procpt model …` and `procpt eval loss`, over @procpt/model's public API; the actions live in
 * `model-run.ts`, loaded when one runs.
 */
export const modelCommands: CommandModule = {
  source: '@procpt/model',
  register(program, ctx) {
    const model = program.command('model').description('create, inspect and transfer GPT-2 checkpoints');

    shapeOptions(model.command('init').description('write a freshly initialised checkpoint'))
      .option('--seed <n>', 'init seed', parseIntOption('--seed', 0), 0)
      .requiredOption('--out <dir>', 'checkpoint directory to write')
      .option('--force', 'replace an existing --out that is not a procpt checkpoint')
      .action(async (opts: InitFlags) => (await import('./model-run.js')).modelInit(ctx, opts));

    model
      .command('info')
      .description('print a checkpoint’s config, parameter counts, FLOPs/token and parts')
      .argument('<dir>', 'checkpoint directory')
      .action(async (dir: string) => (await import('./model-run.js')).modelInfo(ctx, dir));

    shapeOptions(
      model
        .command('transfer')
        .description("copy parts of a checkpoint into a new model (the paper's transfer protocol)"),
    )
      .requiredOption('--from <dir>', 'source checkpoint')
      .option('--to-config <path>', 'target config: an HF config.json or a checkpoint directory')
      .option('--parts <list>', 'comma list of everything, attn, ffn, ln', 'everything')
      .option('--embedding-init <how>', 'average | retain | random', 'average')
      .option('--seed <n>', 'init seed of the target', parseIntOption('--seed', 0), 0)
      .requiredOption('--out <dir>', 'checkpoint directory to write')
      .option('--force', 'replace an existing --out that is not a procpt checkpoint')
      .action(async (opts: TransferFlags) => (await import('./model-run.js')).modelTransfer(ctx, opts));

    evalGroup(program)
      .command('loss')
      .description('mean masked next-token loss and masked token accuracy over {"tokens","loss"} JSONL')
      .requiredOption('--checkpoint <dir>', 'checkpoint directory')
      .requiredOption('--data <file>', 'JSONL with one {"tokens": [...], "loss": [...]} per line')
      .option('--batch <n>', 'sequences per batch', parseIntOption('--batch', 1, 1_000_000), 32)
      .option('--backend <name>', BACKEND_HELP, parseBackend, 'auto')
      .action(async (opts: LossFlags) => (await import('./model-run.js')).evalLoss(ctx, opts));
  },
};
