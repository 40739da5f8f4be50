import type { Command } from 'commander';
import { type CliContext, parseIntOption, parseNumberOption } from '../context.js';
import { DM_MATH_SPLIT_NAMES, progressOption } from '../flags.js';
import type { CommandModule } from '../program.js';
import type { DmFlags, PrepareFlags } from './corpora-run.js';

function register(program: Command, ctx: CliContext): void {
  const corpora = program
    .command('corpora')
    .description('C4 / CodeParrot / DM-Math corpora: the embedded defaults and a DM-Math generator');
  corpora
    .command('list')
    .description('embedded corpora on this machine, with sizes and licences')
    .action(async () => (await import('./corpora-run.js')).runList(ctx));
  const dmMath = corpora
    .command('dm-math')
    .description('write DeepMind-Math-format files (mathematics_dataset-v1.0/<split>/<module>.txt)')
    .option('--out <dir>', 'output directory')
    .option(
      '--per-module <n>',
      'question/answer pairs per module file',
      parseIntOption('--per-module', 1),
      1000,
    )
    .option('--seed <n>', 'generator seed (same seed, same bytes)', parseIntOption('--seed', 0), 0)
    .option('--split <name...>', `only these folders: ${DM_MATH_SPLIT_NAMES.join(', ')}`)
    .option('--module <name...>', 'only these modules (see --list)')
    .option('--list', 'list the modules and their splits');
  progressOption(dmMath)
    .option('--force', 'overwrite the files of a DM-Math folder procpt did not generate')
    .action(async (flags: DmFlags) => (await import('./corpora-run.js')).runDmMath(flags, ctx));
  const prepare = corpora
    .command('prepare')
    .description(
      'tokenize an embedded corpus into train/val token shards (.bin) with the paper joining rules',
    )
    .requiredOption('--domain <name>', 'language (C4 stand-in), code (CodeParrot stand-in) or math (DM-Math)')
    .requiredOption('--out <dir>', 'output directory: train.bin, val.bin, manifest.json')
    .option(
      '--val-fraction <x>',
      'fraction of documents for validation (split by document hash; default 0.05)',
      parseNumberOption('--val-fraction', { min: 0, max: 1, maxExclusive: true }),
    )
    .option(
      '--per-module <n>',
      'math: problems per module file (default 2000)',
      parseIntOption('--per-module', 1),
    )
    .option('--seed <n>', 'math: generator seed (default 0)', parseIntOption('--seed', 0))
    .option(
      '--threads <n>',
      'tokenizer worker threads (default: one per core)',
      parseIntOption('--threads', { min: 1, limit: 'workers' }),
    )
    .option('--corpus <name...>', 'embedded corpora to use (see corpora list)');
  progressOption(prepare)
    .option('--force', 'replace files in --out that procpt did not write')
    .action(async (flags: PrepareFlags) => (await import('./corpora-run.js')).runPrepare(flags, ctx));
}

/**
 * `procpt corpora list | dm-math | prepare`, from @procpt/corpora; the actions live in
 * `corpora-run.ts`, loaded when one runs.
 */
export const corporaCommands: CommandModule = { source: '@procpt/corpora', register };
