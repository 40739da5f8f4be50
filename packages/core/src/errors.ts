/**
 * Error categories. `usage` and `config` are the caller's to fix (CLI exit 2); the rest are
 * runtime failures (CLI exit 1).
 */
export type ProcptErrorCode =
  | 'usage'
  | 'config'
  | 'io'
  | 'corrupt'
  | 'data'
  | 'backend'
  | 'numeric'
  | 'runtime'
  | 'interrupted';

/** Options accepted by {@link ProcptError}. */
export interface ProcptErrorOptions {
  /** What the user can do about it, appended to the message. */
  hint?: string;
  /** The lower-level error that caused this one. */
  cause?: unknown;
}

/**
 * The one error type procpt throws on purpose. Its message says what went wrong and where;
 * `hint` says how to fix it. The CLI prints `message` (and `hint`) on one line, never a stack.
 */
export class ProcptError extends Error {
  readonly code: ProcptErrorCode;
  readonly hint: string | undefined;

  constructor(code: ProcptErrorCode, message: string, options: ProcptErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProcptError';
    this.code = code;
    this.hint = options.hint;
  }

  /** The message followed by the hint, as one line for a terminal. */
  get userMessage(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }

  /** Process exit code the CLI uses: 2 for usage/config problems, 1 otherwise. */
  get exitCode(): 1 | 2 {
    return this.code === 'usage' || this.code === 'config' ? 2 : 1;
  }
}

/** True when `value` is a {@link ProcptError} (also across duplicated module copies). */
export function isProcptError(value: unknown): value is ProcptError {
  return (
    value instanceof ProcptError ||
    (value instanceof Error &&
      value.name === 'ProcptError' &&
      typeof (value as ProcptError).code === 'string')
  );
}

/** Throws a `config` {@link ProcptError} naming the field unless `condition` holds. */
export function assertConfig(
  condition: unknown,
  field: string,
  expected: string,
  got: unknown,
): asserts condition {
  if (!condition) {
    throw new ProcptError('config', `${field} must be ${expected}, got ${formatValue(got)}`);
  }
}

/** Short, printable rendering of a value for error messages. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}
