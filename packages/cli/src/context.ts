import { type NumberBounds, parseIntegerText, parseNumberText } from '@procpt/core';

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

/**
 * Parses an integer option with `@procpt/core`'s one number parser (plain decimal, `1e9` allowed;
 * `0x10`, `NaN`, blanks and fractions refused), or throws a usage error naming the flag. Bounds are
 * `min`/`max`, or an object that may name a limit of `LIMITS` (e.g. `{ min: 1, limit: 'workers' }`).
 */
export function parseIntOption(flag: string, min?: number | NumberBounds, max?: number) {
  const bounds: NumberBounds =
    typeof min === 'object'
      ? min
      : { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
  return (raw: string): number => parseIntegerText(raw, flag, bounds);
}

/** Parses a number option (plain decimal, finite, within `bounds`), or throws a usage error naming the flag. */
export function parseNumberOption(flag: string, bounds: NumberBounds = {}) {
  return (raw: string): number => parseNumberText(raw, flag, bounds);
}
