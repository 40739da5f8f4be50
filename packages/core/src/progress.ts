/** Options of {@link Progress}. */
export interface ProgressOptions {
  /** What is being counted, e.g. `tokens` or `steps`. */
  unit: string;
  /** Total amount, when known (enables percentage and ETA). */
  total?: number;
  /** Short label printed first. */
  label?: string;
  /** Where to write; defaults to `process.stderr`. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Minimum milliseconds between two renders (TTY) — plain lines are printed every `plainEveryMs`. */
  renderEveryMs?: number;
  /** Milliseconds between plain (non-TTY) progress lines. */
  plainEveryMs?: number;
  /** Disable all output (progress is still tracked). */
  silent?: boolean;
  /** Clock, for tests. */
  now?: () => number;
}

/** A snapshot of progress: done, rate and ETA. */
export interface ProgressState {
  done: number;
  total: number | undefined;
  elapsedMs: number;
  ratePerSecond: number;
  etaMs: number | undefined;
}

/**
 * Progress bar for long work: a redrawn bar with rate and ETA on a TTY, plain lines otherwise
 * (logs, CI). Never throws; `stop()` prints the final line.
 */
export class Progress {
  private readonly opts: Required<Omit<ProgressOptions, 'total' | 'label' | 'stream'>> & ProgressOptions;
  private readonly start: number;
  private lastRender = 0;
  private done = 0;
  private extra = '';

  constructor(options: ProgressOptions) {
    this.opts = {
      renderEveryMs: 100,
      plainEveryMs: 10_000,
      silent: false,
      now: () => performance.now(),
      ...options,
    };
    this.start = this.opts.now();
    this.lastRender = this.start;
  }

  private get stream() {
    return this.opts.stream ?? process.stderr;
  }

  /** Sets the total (when it becomes known late). */
  setTotal(total: number): void {
    this.opts.total = total;
  }

  /** Adds `amount` to the count and re-renders when due. `extra` is appended (e.g. `loss 2.31`). */
  tick(amount = 1, extra?: string): void {
    this.update(this.done + amount, extra);
  }

  /** Sets the absolute count. */
  update(done: number, extra?: string): void {
    this.done = done;
    if (extra !== undefined) this.extra = extra;
    const now = this.opts.now();
    const every = this.stream.isTTY ? this.opts.renderEveryMs : this.opts.plainEveryMs;
    if (now - this.lastRender >= every) {
      this.lastRender = now;
      this.render(false);
    }
  }

  /** Current state. */
  state(): ProgressState {
    const elapsedMs = this.opts.now() - this.start;
    const ratePerSecond = elapsedMs > 0 ? (this.done * 1000) / elapsedMs : 0;
    const total = this.opts.total;
    const etaMs =
      total !== undefined && ratePerSecond > 0 ? ((total - this.done) / ratePerSecond) * 1000 : undefined;
    return { done: this.done, total, elapsedMs, ratePerSecond, etaMs };
  }

  /** One-line description of the current state. */
  line(): string {
    const s = this.state();
    const parts: string[] = [];
    if (this.opts.label) parts.push(this.opts.label);
    if (s.total !== undefined && s.total > 0) {
      const pct = Math.min(100, (100 * s.done) / s.total);
      if (this.stream.isTTY) parts.push(bar(pct / 100, 24));
      parts.push(`${pct.toFixed(1)}%`, `${formatCount(s.done)}/${formatCount(s.total)} ${this.opts.unit}`);
    } else {
      parts.push(`${formatCount(s.done)} ${this.opts.unit}`);
    }
    parts.push(`${formatCount(s.ratePerSecond)} ${this.opts.unit}/s`);
    parts.push(`elapsed ${formatDuration(s.elapsedMs)}`);
    if (s.etaMs !== undefined) parts.push(`ETA ${formatDuration(s.etaMs)}`);
    if (this.extra) parts.push(this.extra);
    return parts.join('  ');
  }

  private render(final: boolean): void {
    if (this.opts.silent) return;
    const text = this.line();
    if (this.stream.isTTY) {
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r${text.slice(0, width - 1).padEnd(width - 1)}${final ? '\n' : ''}`);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Renders the final state and ends the line. */
  stop(): ProgressState {
    this.render(true);
    return this.state();
  }
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** 1234567 → `1.23M`. */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** Milliseconds → `1h02m`, `3m05s`, `4.2s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
