import { ProcptError } from '@procpt/core';

/** What every command gets: output helpers that respect `--json`, and the global flags. */
export interface CliContext {
  /** Writes a human line to stdout (suppressed in `--json` mode). */
  info(text: string): void;
  /** Writes a result: pretty text normally, one JSON object with `--json`. */
  result(value: unknown, human?: () => string): void;
  /** Writes a diagnostic line to stderr. */
  warn(text: string): void;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  json: boolean;
  debug: boolean;
}

/** Creates a context writing to the given streams. */
export function createContext(
  stdout: NodeJS.WritableStream = process.stdout,
  stderr: NodeJS.WritableStream = process.stderr,
): CliContext {
  const ctx: CliContext = {
    json: false,
    debug: false,
    stdout,
    stderr,
    info(text) {
      if (!ctx.json) stdout.write(`${text}\n`);
    },
    result(value, human) {
      if (ctx.json || !human) stdout.write(`${JSON.stringify(value, null, ctx.json ? undefined : 2)}\n`);
      else stdout.write(`${human()}\n`);
    },
    warn(text) {
      stderr.write(`${text}\n`);
    },
  };
  return ctx;
}

/** Parses an integer option, or throws a usage error naming the flag. */
export function parseIntOption(flag: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ProcptError(
        'usage',
        `${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  };
}

/** Parses a number option, or throws a usage error naming the flag. */
export function parseNumberOption(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isFinite(value))
      throw new ProcptError('usage', `${flag} must be a number, got ${JSON.stringify(raw)}`);
    return value;
  };
}
