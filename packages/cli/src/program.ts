import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isProcptError } from '@procpt/core';
import { type CliContext, createContext } from './context.js';
import { commandModules } from './registry.js';

/** A group of subcommands contributed by one package. */
export interface CommandModule {
  /** The package the commands come from (for `procpt --help`). */
  readonly source: string;
  register(program: Command, ctx: CliContext): void;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Builds the `procpt` commander program with every registered command module. */
export function createProgram(ctx: CliContext = createContext(), modules = commandModules): Command {
  const program = new Command('procpt')
    .description('Procedural pretraining for GPT-style models: generate, warm up, transfer, evaluate.')
    .version(version(), '-V, --version')
    .option('--json', 'machine-readable JSON output where the command supports it')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .exitOverride();
  program.hook('preAction', (_this, action) => {
    const globals = action.optsWithGlobals() as { json?: boolean; debug?: boolean };
    ctx.json = Boolean(globals.json);
    ctx.debug = Boolean(globals.debug);
  });
  for (const mod of modules) mod.register(program, ctx);
  for (const cmd of program.commands) applyDefaults(cmd);
  return program;
}

function applyDefaults(cmd: Command): void {
  cmd.exitOverride().showHelpAfterError('(run with --help for usage)');
  for (const sub of cmd.commands) applyDefaults(sub);
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 runtime error, 2 usage error. Errors are one
 * actionable line on stderr; stacks only with `--debug`.
 */
export async function runCli(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  const program = createProgram(ctx);
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return 0;
      return 2; // commander already printed the message
    }
    if (isProcptError(error)) {
      ctx.stderr.write(`procpt: ${error.userMessage}\n`);
      if (debug && error.stack) ctx.stderr.write(`${error.stack}\n`);
      return error.exitCode;
    }
    const err = error as Error;
    ctx.stderr.write(`procpt: unexpected error: ${err?.message ?? String(error)}\n`);
    ctx.stderr.write(
      debug && err?.stack ? `${err.stack}\n` : '(run again with --debug for the stack trace)\n',
    );
    return 1;
  }
}
