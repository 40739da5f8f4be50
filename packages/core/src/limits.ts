import { open } from 'node:fs/promises';
import { availableParallelism, freemem, totalmem } from 'node:os';
import { ProcptError, type ProcptErrorCode } from './errors.js';

/**
 * One resource limit: its default, the environment variable that overrides it and what it bounds.
 * Every limit is checked before anything is allocated, and every error it raises names the
 * variable that raises it.
 */
export interface LimitDefinition {
  /** Environment variable that overrides the default (a positive integer in `unit`). */
  readonly env: string;
  /** The unit of the value and of the variable. */
  readonly unit: 'count' | 'MiB' | 'ratio';
  /** What the limit bounds, for errors and docs. */
  readonly doc: string;
  /** The default on this machine. */
  readonly defaultValue: () => number;
}

const MIB = 1024 * 1024;

/**
 * procpt's resource limits, in one place. Values are read at each check, so an environment
 * variable set before a command runs (or in a test) takes effect. See `docs/reliability.md`.
 */
export const LIMITS = {
  /** Threads or processes one command starts: `--workers`, `--threads`, `--jobs`, a run config's `threads`. */
  workers: {
    env: 'PROCPT_MAX_WORKERS',
    unit: 'count',
    doc: 'worker threads or processes one command may start',
    defaultValue: () => 4 * availableParallelism(),
  },
  /** Transformer blocks of a model (`nLayer`, `n_layer`). */
  layers: {
    env: 'PROCPT_MAX_LAYERS',
    unit: 'count',
    doc: 'transformer blocks of a model (nLayer)',
    defaultValue: () => 1024,
  },
  /** Residual width of a model (`dModel`, `n_embd`). */
  width: {
    env: 'PROCPT_MAX_WIDTH',
    unit: 'count',
    doc: 'residual width of a model (dModel)',
    defaultValue: () => 65_536,
  },
  /** Vocabulary of a model (`vocabSize`, `--vocab`). */
  vocab: {
    env: 'PROCPT_MAX_VOCAB',
    unit: 'count',
    doc: 'vocabulary size of a model',
    defaultValue: () => 1 << 24,
  },
  /** Context length of a model (`nPositions`, `--positions`, `--context`). */
  positions: {
    env: 'PROCPT_MAX_POSITIONS',
    unit: 'count',
    doc: 'context length of a model (nPositions)',
    defaultValue: () => 1 << 20,
  },
  /** Memory a model (and its training step) may need, by procpt's estimate. */
  memory: {
    env: 'PROCPT_MEMORY_LIMIT_MB',
    unit: 'MiB',
    doc: 'memory a model or a training step may need, by estimate',
    defaultValue: () => Math.floor(Math.max(freemem(), totalmem() * 0.5) / MIB),
  },
  /** One document of a corpus, one line of a JSON Lines file (decompressed). */
  document: {
    env: 'PROCPT_MAX_DOCUMENT_MB',
    unit: 'MiB',
    doc: 'one document or JSON Lines line, decompressed',
    defaultValue: () => 64,
  },
  /** Decompressed over compressed bytes of a gzip file, checked once it has given 16 MiB. */
  gzipRatio: {
    env: 'PROCPT_MAX_GZIP_RATIO',
    unit: 'ratio',
    doc: 'decompressed/compressed size of a gzip file (checked past 16 MiB of output)',
    defaultValue: () => 100,
  },
  /** A JSON or YAML file read whole: run configs, config.json, procpt.json, --spec files. */
  json: {
    env: 'PROCPT_MAX_JSON_MB',
    unit: 'MiB',
    doc: 'a JSON or YAML file read whole (configs, checkpoint metadata)',
    defaultValue: () => 64,
  },
} as const satisfies Record<string, LimitDefinition>;

/** The name of a limit in {@link LIMITS}. */
export type LimitName = keyof typeof LIMITS;

/**
 * Gzip output below which the ratio limit is not checked: small, very repetitive files (test
 * fixtures, a file of blank lines) may compress far better than real text without being a bomb.
 */
export const GZIP_RATIO_FLOOR_BYTES = 16 * MIB;

/**
 * The current value of a limit: its environment variable when set, else the machine default. A
 * variable that is not a positive decimal integer is a `usage` error naming it.
 */
export function limitValue(name: LimitName): number {
  const def: LimitDefinition = LIMITS[name];
  const raw = process.env[def.env];
  if (raw === undefined || raw === '') return def.defaultValue();
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw)) || Number(raw) < 1) {
    throw new ProcptError('usage', `${def.env} must be a positive integer, got ${JSON.stringify(raw)}`, {
      hint: `unset it to use the default (${def.defaultValue()}${def.unit === 'MiB' ? ' MiB' : ''})`,
    });
  }
  return Number(raw);
}

/** The value of a MiB limit in bytes (`memory`, `document`, `json`). */
export function limitBytes(name: 'memory' | 'document' | 'json'): number {
  return limitValue(name) * MIB;
}

/** How to raise a limit, for the `hint` of an error. */
export function raiseHint(name: LimitName): string {
  const def: LimitDefinition = LIMITS[name];
  return `set ${def.env} to raise the limit (now ${limitValue(name)}${def.unit === 'MiB' ? ' MiB' : ''})`;
}

/** Options of {@link checkLimit}. */
export interface CheckLimitOptions {
  /** The error category (default `config`): `usage` for flags, `data`/`corrupt` for file contents. */
  code?: ProcptErrorCode;
  /** Another hint placed before the "set … to raise" one. */
  hint?: string;
}

/**
 * Throws a {@link ProcptError} unless `value` is at most the limit `name`; `what` names the flag,
 * field or file, e.g. `--workers` or `config.json n_layer`. Returns `value`.
 */
export function checkLimit(
  name: LimitName,
  value: number,
  what: string,
  options: CheckLimitOptions = {},
): number {
  const max = limitValue(name);
  if (value <= max) return value;
  const def: LimitDefinition = LIMITS[name];
  const unit = def.unit === 'MiB' ? ' MiB' : '';
  throw new ProcptError(
    options.code ?? 'config',
    `${what} is ${formatAmount(value)}${unit}, over the limit of ${formatAmount(max)}${unit} (${def.doc})`,
    { hint: [options.hint, raiseHint(name)].filter(Boolean).join('; ') },
  );
}

function formatAmount(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : value.toPrecision(4);
}

/** Bytes as a short human string in binary units, like the MiB limits (`1.5 GiB`, `12.0 MiB`, `300 B`). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** Options of {@link readFileLimited} and {@link readTextFileLimited}. */
export interface ReadLimitedOptions {
  /** Error category when the file is too large (default `config`). */
  code?: ProcptErrorCode;
  /** The size bound in bytes (default: the `json` limit). */
  maxBytes?: number;
}

/**
 * Reads a whole file after bounding its size by the `json` limit (or `maxBytes`), so a huge or
 * endless file (a FIFO, `/dev/zero`) is refused instead of exhausting memory: at most
 * `maxBytes + 1` bytes are ever read. A missing or unreadable file is an `io` error; too large a
 * file an error of `code` (default `config`). `what` names the file in errors, e.g.
 * `run config runs/a.yaml`.
 */
export async function readFileLimited(
  path: string,
  what: string,
  options: ReadLimitedOptions = {},
): Promise<Buffer> {
  const max = options.maxBytes ?? limitBytes('json');
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new ProcptError('io', `cannot read ${what}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the path',
    });
  }
  try {
    if ((await handle.stat()).isDirectory()) {
      throw new ProcptError('io', `cannot read ${what}: it is a directory`, {
        hint: 'a file was expected here',
      });
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, max + 1 - total));
      if (chunk.length === 0) break;
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > max) {
      throw new ProcptError(
        options.code ?? 'config',
        `${what} is larger than ${formatBytes(max)}, the limit for a file read whole`,
        { hint: options.maxBytes === undefined ? raiseHint('json') : 'is this the right file?' },
      );
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof ProcptError) throw error;
    throw new ProcptError('io', `cannot read ${what}: ${(error as Error).message}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/** {@link readFileLimited}, decoded as UTF-8. */
export async function readTextFileLimited(
  path: string,
  what: string,
  options: ReadLimitedOptions = {},
): Promise<string> {
  return (await readFileLimited(path, what, options)).toString('utf8');
}
