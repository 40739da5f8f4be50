import { availableParallelism } from 'node:os';
import { ProcptError } from '@procpt/core';
import { loadAddon } from './addon.js';

/** Options of {@link measurePeakFlops}. */
export interface PeakFlopsOptions {
  /** Threads that run FMA chains at once (default 1; at most the machine's cores). */
  threads?: number;
  /** Measuring time per thread in milliseconds (default 200, at most 60,000). */
  milliseconds?: number;
}

/** What {@link measurePeakFlops} measured. */
export interface PeakFlops {
  /** Single-precision FLOP/s (an FMA counts as 2 FLOPs). */
  flops: number;
  threads: number;
  /** Vector width of the FMAs: 16 (the AVX-512 tier), 8 (AVX2/FMA) or 1 (the baseline tier: scalar). */
  lanes: number;
}

/**
 * Measures the machine's single-precision peak with the native addon: every thread runs 12 independent
 * vector-FMA chains held in registers (no memory traffic), in ~1 ms slices, for `milliseconds`. The result is
 * the sum over threads of each thread's best slice, i.e. what the cores can retire when the OS lets them run,
 * which is the denominator MFU needs on a machine whose cores are shared. Blocks the event loop while it runs.
 *
 * @throws ProcptError `usage` for a thread count outside 1..cores or a non-positive/too long duration;
 *   `backend` when the native addon is unavailable.
 */
export function measurePeakFlops(options: PeakFlopsOptions = {}): PeakFlops {
  const threads = options.threads ?? 1;
  const ms = options.milliseconds ?? 200;
  const cores = availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > cores)
    throw new ProcptError(
      'usage',
      `measurePeakFlops: threads must be an integer in 1..${cores} (this machine's cores), got ${threads}`,
      { hint: 'more threads than cores would time-share a core and overstate the peak' },
    );
  if (!Number.isFinite(ms) || ms <= 0 || ms > 60_000)
    throw new ProcptError('usage', `measurePeakFlops: milliseconds must be in (0, 60000], got ${ms}`);
  const load = loadAddon();
  if (!load.addon)
    throw new ProcptError('backend', `measurePeakFlops needs the native addon: ${load.reason}`);
  const flops = load.addon.measurePeakFlops(threads, ms / 1000);
  return { flops, threads, lanes: load.addon.info().lanes };
}
