import type { Command } from 'commander';
import { parseIntOption } from '../context.js';
import { SHARD_TOKEN_LIMIT, progressOption } from '../flags.js';
import type { CommandModule } from '../program.js';
import type { GenFlags } from './procgen-run.js';

/** `procpt gen` (from `@procpt/procgen`); the action lives in `procgen-run.ts`, loaded when it runs. */
export const procgenCommands: CommandModule = {
  source: '@procpt/procgen',
  register(program, ctx) {
    const gen = program
      .command('gen')
      .usage('<type> [--n N] [--seed S] [--start I] [--<param> value ...] [--format jsonl|bin] [--out PATH]')
      .description(
        'generate procedural data (JSONL samples or an llm.c .bin token shard); --list shows the types',
      )
      .option('--list', 'list the types with their parameters and defaults')
      .option('--n <samples>', 'number of samples (jsonl default 10)', parseIntOption('--n', 0))
      .option(
        '--tokens <count>',
        'bin only: exactly this many tokens (e.g. 1e9)',
        parseIntOption('--tokens', 0, SHARD_TOKEN_LIMIT),
      )
      .option('--seed <seed>', "seed (default 42, the paper's)", parseIntOption('--seed', 0))
      .option('--start <index>', 'first sample index (default 0)', parseIntOption('--start', 0))
      .option('--format <format>', 'jsonl | bin', 'jsonl')
      .option('--out <path>', 'output file (jsonl: "-" or none = stdout); written atomically')
      .option('--spec <json|file>', 'a full spec instead of <type> and params (for mixture / shuffled)')
      .option('--shuffled', 'the shuffled control of the type (tokens of each sample permuted)')
      .option(
        '--workers <n>',
        'bin: generation threads (default: all cores)',
        parseIntOption('--workers', { min: 1, limit: 'workers' }),
      )
      .option('--force', 'replace an existing --out that procpt did not write');
    progressOption(gen)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async (flags: GenFlags, cmd: Command) => {
        const { gen: run } = await import('./procgen-run.js');
        await run(ctx, flags, cmd.args);
      });
  },
};
