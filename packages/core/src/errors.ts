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

const SYSTEM_HINTS: Record<string, string> = {
  ENOENT: 'check the path',
  EACCES: 'check the permissions of the file or folder',
  EPERM: 'check the permissions of the file or folder',
  EISDIR: 'a file was expected, not a folder',
  ENOTDIR: 'a folder was expected, not a file',
  ENOSPC: 'the disk is full: free some space',
  EMFILE: 'too many open files: raise the limit (ulimit -n) or use fewer workers',
  EROFS: 'the file system is read-only',
  EEXIST: 'the path already exists',
};

/** Messages of V8 and Node when an allocation is too large or fails. */
const ALLOCATION_FAILURE =
  /Invalid typed array length|Array buffer allocation failed|Invalid array length|Invalid string length|Cannot create a string longer than|ERR_WORKER_OUT_OF_MEMORY|out of memory/i;

/**
 * Turns anything thrown into a {@link ProcptError} for a one-line report: a ProcptError as is; a
 * Node system error (`ENOENT`, `EACCES`, `ENOSPC`, …) as an `io` error with its path; a failed
 * allocation as a `runtime` "out of memory" error; anything else as a `runtime` "internal error"
 * (a bug: its stack is kept as the cause).
 */
export function toProcptError(error: unknown): ProcptError {
  if (isProcptError(error)) return error;
  const e = error as (Error & { code?: unknown; path?: unknown }) | undefined;
  const message = e instanceof Error ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code !== undefined && /^E[A-Z]+$/.test(code)) {
    return new ProcptError('io', message, {
      cause: error,
      hint: SYSTEM_HINTS[code] ?? 'a file system or operating system error',
    });
  }
  if (ALLOCATION_FAILURE.test(message) || code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new ProcptError('runtime', `out of memory: ${message}`, {
      cause: error,
      hint: 'the input or model is too large for this machine; see the limits in docs/reliability.md',
    });
  }
  return new ProcptError('runtime', `internal error: ${message}`, {
    cause: error,
    hint: 'this is a bug in procpt: rerun with PROCPT_DEBUG=1 for the stack trace and report it',
  });
}
