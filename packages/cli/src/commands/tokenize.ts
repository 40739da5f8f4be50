import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { TOKENIZE_FORMAT_NAMES, progressOption } from '../flags.js';
import type { CommandModule } from '../program.js';
import type { TokenizeFlags } from './tokenize-run.js';

function register(program: Command, ctx: CliContext): void {
  const tokenize = program
    .command('tokenize')
    .description('tokenize text files into an llm.c-layout token shard (.bin)')
    .requiredOption('--tokenizer <name>', 'gpt2 (GPT-2 BPE) or char (DM-Math characters)')
    .requiredOption('--in <path>', 'input file or directory (read recursively, sorted, hidden files skipped)')
    .requiredOption('--out <file>', 'shard to write (.bin); written atomically')
    .option(
      '--format <name>',
      `input format: auto (from name/content), ${TOKENIZE_FORMAT_NAMES.join(', ')}`,
      'auto',
    )
    .option(
      '--include <glob...>',
      'only files matching these globs (relative to --in; *.py matches at any depth)',
    )
    .option('--exclude <glob...>', 'skip files matching these globs')
    .option(
      '--on-error <policy>',
      'c4/codeparrot/dm-math: a malformed record stops (stop) or is skipped and counted (skip)',
      'stop',
    )
    .option(
      '--separator <policy>',
      'between documents: eot (end-of-text id) or none; default eot when the tokenizer has one',
    )
    .option(
      '--end-of-text <policy>',
      'gpt2: a literal <|endoftext|> in the text is text or special (id 50256)',
      'text',
    );
  progressOption(tokenize)
    .option('--force', 'replace an existing --out that is not a token shard')
    .action(async (flags: TokenizeFlags) => (await import('./tokenize-run.js')).runTokenize(flags, ctx));
}

/** `procpt tokenize`, from @procpt/tokenizer; the action lives in `tokenize-run.ts`, loaded when it runs. */
export const tokenizeCommands: CommandModule = { source: '@procpt/tokenizer', register };
