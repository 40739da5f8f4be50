import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { toProcptError } from '@procpt/core';
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
    .option('--debug', 'print stack traces on errors (same as PROCPT_DEBUG=1)')
    .showHelpAfterError('hint: run with --help for usage')
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      // commander's own usage errors get the same `procpt: <message>` shape as ours
      outputError: (s, write) => write(`procpt: ${s.replace(/^error: /, '')}`),
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
  cmd.exitOverride().showHelpAfterError('hint: run with --help for usage');
  for (const sub of cmd.commands) applyDefaults(sub);
}

/** True when stack traces should be printed: `PROCPT_DEBUG=1` (or the `--debug` flag). */
export function debugEnabled(argv: readonly string[] = []): boolean {
  const env = process.env.PROCPT_DEBUG;
  return (env !== undefined && env !== '' && env !== '0') || argv.includes('--debug');
}

/**
 * Prints a failure the one way procpt prints failures and returns its exit code: `procpt: <message>`
 * and, when there is one, `hint: <what to do>`; the stack only when {@link debugEnabled}. A
 * {@link ProcptError} keeps its code (exit 2 for `usage`/`config`, 1 otherwise); Node system
 * errors become `io` errors, failed allocations "out of memory" and anything else an "internal
 * error" (exit 1). Used for command errors and for uncaught exceptions and rejections (bin.ts).
 */
export function reportError(error: unknown, stderr: NodeJS.WritableStream, debug = debugEnabled()): 1 | 2 {
  const e = toProcptError(error);
  stderr.write(`procpt: ${oneLine(e.message)}\n`);
  if (e.hint) stderr.write(`hint: ${oneLine(e.hint)}\n`);
  if (debug) {
    const original = error instanceof Error ? error : e;
    if (original.stack) stderr.write(`${original.stack}\n`);
  }
  return e.exitCode;
}

/** Collapses a message to one line (a multi-line message from a library would break the format). */
function oneLine(text: string): string {
  const flat = text.replace(/\s*\n\s*/g, ' ').trim();
  return flat.length > 2000 ? `${flat.slice(0, 1997)}...` : flat;
}

/**
 * Runs the CLI and returns the exit code: 0 ok, 1 data or runtime error, 2 usage or configuration
 * error. Errors are `procpt: <message>` plus an optional `hint:` line on stderr; stacks only with
 * `PROCPT_DEBUG=1` (or `--debug`).
 */
export async function runCli(argv: string[], ctx: CliContext = createContext()): Promise<number> {
  const program = createProgram(ctx);
  const debug = debugEnabled(argv);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help') return 0;
      return 2; // commander already printed the message
    }
    return reportError(error, ctx.stderr, debug);
  }
}
