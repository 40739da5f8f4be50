import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What procpt has in flight in this process: temp paths that must not outlive it, and folder locks
 * it holds. Both are cleaned synchronously when the process exits or is interrupted, so a Ctrl-C or
 * a SIGTERM never leaves a 300 MB hidden temp file or a lock behind.
 */
const temps = new Map<string, number>(); // path → refcount
const locks = new Map<string, string>(); // lock path → the exact contents we wrote
let recoverHook: ((dirs: string[]) => void) | undefined;
let exitHookInstalled = false;

/** Registered by `output.ts`: rolls back / cleans the leftovers of in-flight writes in `dirs`. */
export function setRecoverHook(hook: (dirs: string[]) => void): void {
  recoverHook = hook;
}

function ensureExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => cleanupNowSync());
}

/**
 * Registers a temp path (a file or folder, a sibling of an output) as in flight; returns the function
 * that unregisters it. Registered paths are removed when the process exits or is interrupted, and the
 * next run's sweep leaves them alone while this process is alive.
 */
export function trackTemp(path: string): () => void {
  ensureExitHook();
  temps.set(path, (temps.get(path) ?? 0) + 1);
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const n = (temps.get(path) ?? 1) - 1;
    if (n <= 0) temps.delete(path);
    else temps.set(path, n);
  };
}

/** True when `path` is a temp path this process has in flight. */
export function isTempInFlight(path: string): boolean {
  return temps.has(path);
}

/** @internal Registers a lock file this process holds (released on exit). */
export function trackLock(path: string, contents: string): () => void {
  ensureExitHook();
  locks.set(path, contents);
  return () => {
    if (locks.get(path) === contents) locks.delete(path);
  };
}

/** @internal True when this process holds the lock file at `path`. */
export function holdsLock(path: string): boolean {
  return locks.has(path);
}

/**
 * Synchronously deletes every temp path in flight (rolling a half-finished folder replacement back
 * or forward, never leaving the output missing) and releases every lock this process holds. Called
 * on exit and on SIGINT/SIGTERM; safe to call more than once. Returns the number of temp paths cleaned.
 */
export function cleanupNowSync(): number {
  const paths = [...temps.keys()];
  temps.clear();
  if (paths.length > 0) {
    const dirs = [...new Set(paths.map((p) => dirname(p)))];
    try {
      recoverHook?.(dirs);
    } catch {
      // best effort: the next run's sweep finishes the job
    }
  }
  for (const [path, contents] of locks) {
    try {
      if (readFileSync(path, 'utf8') === contents) unlinkSync(path);
    } catch {
      // already gone
    }
  }
  locks.clear();
  return paths.length;
}

/** The signals whose cleanup `installSignalCleanup` installs. */
export type Signal = 'SIGINT' | 'SIGTERM';
const SIGNAL_EXIT: Record<Signal, number> = { SIGINT: 130, SIGTERM: 143 };
const interruptHandlers = new Set<(signal: Signal) => void>();
let signalsInstalled = false;
let signalsSeen = 0;
let announce: ((line: string) => void) | undefined;

function onSignal(signal: Signal): void {
  signalsSeen++;
  if (interruptHandlers.size > 0 && signalsSeen === 1) {
    for (const handler of [...interruptHandlers]) handler(signal);
    return;
  }
  const cleaned = cleanupNowSync();
  announce?.(`procpt: interrupted (${signal})${cleaned > 0 ? `; removed ${cleaned} partial output(s)` : ''}`);
  process.exit(SIGNAL_EXIT[signal]);
}

/** Options of {@link installSignalCleanup}. */
export interface SignalCleanupOptions {
  /** Where to say that the process was interrupted (default: stderr). */
  announce?: (line: string) => void;
}

/**
 * Makes SIGINT and SIGTERM stop the process promptly and cleanly: partial temp files are deleted,
 * half-replaced folders restored, locks released, and the process exits 130 (SIGINT) or 143
 * (SIGTERM). While a handler registered with {@link onInterrupt} exists (a training run that can
 * checkpoint), the first signal goes to it instead and a second one exits at once. Idempotent;
 * the CLI installs it at start-up.
 */
export function installSignalCleanup(options: SignalCleanupOptions = {}): void {
  announce = options.announce ?? ((line) => process.stderr.write(`${line}\n`));
  ensureExitHook();
  if (signalsInstalled) return;
  signalsInstalled = true;
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

/**
 * Registers a graceful interrupt handler (e.g. "finish the step, checkpoint, stop") for the first
 * SIGINT/SIGTERM; a second signal exits at once after cleaning up. Installs the signal handling of
 * {@link installSignalCleanup} if it is not installed yet. Returns the function that unregisters it.
 */
export function onInterrupt(handler: (signal: Signal) => void): () => void {
  if (!signalsInstalled) installSignalCleanup();
  signalsSeen = 0;
  interruptHandlers.add(handler);
  return () => {
    interruptHandlers.delete(handler);
  };
}

/** Flushes a file or folder to disk (best effort: not every filesystem supports it on folders). */
export function fsyncPathSync(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd); // on a folder: makes the renames inside it durable
  } catch {
    // not supported here
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
