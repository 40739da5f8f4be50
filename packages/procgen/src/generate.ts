import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProcptError, checkLimit, formatValue, isProcptError, limitValue, toProcptError } from '@procpt/core';
import { createGenerator } from './create.js';
import type { Generator } from './generator.js';
import type { GeneratorSpec } from './spec.js';

/** A run of consecutive samples' tokens, concatenated (loss masks are not part of token shards). */
export interface TokenChunk {
  tokens: Int32Array;
  /** Index of the first sample in the chunk. */
  firstIndex: number;
  /** Number of samples that went into the chunk (the last one may be cut in `tokens` mode). */
  samples: number;
}

/** Options of {@link generateTokenChunks}. Give exactly one of `samples` and `tokens`. */
export interface GenerateOptions {
  /** First sample index (default 0). */
  start?: number;
  /** Generate this many whole samples. */
  samples?: number;
  /** Generate exactly this many tokens (the last sample is cut). */
  tokens?: number;
  /** Worker threads (default: all cores; 0 = in this thread). */
  workers?: number;
  /** Approximate tokens per chunk (default 256 Ki); memory in flight is about 2 · workers chunks. */
  chunkTokens?: number;
}

/** Concatenates samples `start .. start+count-1` of `gen`. */
export function concatSamples(gen: Generator, start: number, count: number): Int32Array {
  let out = new Int32Array(count * gen.maxLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const { tokens } = gen.sample(start + i);
    if (at + tokens.length > out.length) {
      const grown = new Int32Array(Math.max(out.length * 2, at + tokens.length));
      grown.set(out.subarray(0, at));
      out = grown;
    }
    out.set(tokens, at);
    at += tokens.length;
  }
  return at === out.length ? out : out.slice(0, at);
}

/** The compiled worker beside this module; absent when running from TypeScript sources (tests). */
function workerUrl(): URL | undefined {
  const url = new URL('./chunk-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

function checkNonNegative(name: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ProcptError('usage', `${name} must be a non-negative integer, got ${formatValue(v)}`);
  }
}

interface Job {
  firstIndex: number;
  count: number;
  done: Promise<Int32Array>;
}

/**
 * Generates a long token stream from a spec in index order, in bounded memory: chunks of about
 * `chunkTokens` tokens are produced by a pool of worker threads sharding the index range (each
 * worker rebuilds the generator from the spec; samples are pure functions of their index, so the
 * output is identical for any worker count) and yielded in order, at most 2 · workers in flight.
 */
export async function* generateTokenChunks(
  spec: GeneratorSpec,
  opts: GenerateOptions,
): AsyncGenerator<TokenChunk, void, undefined> {
  const gen = createGenerator(spec); // validates the spec before any thread starts
  const start = opts.start ?? 0;
  checkNonNegative('start', start);
  if ((opts.samples === undefined) === (opts.tokens === undefined)) {
    throw new ProcptError('usage', 'give exactly one of samples and tokens');
  }
  if (opts.samples !== undefined) checkNonNegative('samples', opts.samples);
  if (opts.tokens !== undefined) checkNonNegative('tokens', opts.tokens);
  const url = workerUrl();
  if (opts.workers !== undefined) {
    checkNonNegative('workers', opts.workers);
    checkLimit('workers', opts.workers, 'workers', { code: 'usage' });
  }
  const workers = url ? Math.min(opts.workers ?? availableParallelism(), limitValue('workers')) : 0;
  const perChunk = Math.max(1, Math.floor((opts.chunkTokens ?? 1 << 18) / gen.maxLength));
  const sampleLimit = opts.samples ?? Number.POSITIVE_INFINITY;
  const tokenLimit = opts.tokens ?? Number.POSITIVE_INFINITY;

  const pool: Worker[] = [];
  const waiting = new Map<number, { resolve: (t: Int32Array) => void; reject: (e: unknown) => void }>();
  let failure: unknown;
  for (let w = 0; w < workers && url; w++) {
    // A small young generation keeps each worker's garbage (one array per sample) from piling up.
    const worker = new Worker(url, {
      workerData: { spec: { ...spec } },
      resourceLimits: { maxYoungGenerationSizeMb: 8 },
    });
    worker.on('message', (msg: { id: number; tokens?: Int32Array; error?: string }) => {
      const entry = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.tokens) entry?.resolve(msg.tokens);
      else entry?.reject(new ProcptError('runtime', `generation worker failed: ${msg.error}`));
    });
    worker.on('error', (raw) => {
      // an uncaught error or out-of-memory in the worker: one clear runtime error, never a raw one
      const error = isProcptError(raw)
        ? raw
        : new ProcptError('runtime', `generation worker failed: ${toProcptError(raw).message}`, {
            cause: raw,
            hint: 'try fewer --workers, or report the spec that failed',
          });
      failure = error;
      for (const entry of waiting.values()) entry.reject(error);
      waiting.clear();
    });
    pool.push(worker);
  }

  const queue: Job[] = [];
  let nextIndex = start;
  let queuedSamples = 0;
  let jobId = 0;
  let produced = 0;
  let emittedSamples = 0;
  const submit = (): void => {
    const count = Math.min(perChunk, sampleLimit - queuedSamples);
    const firstIndex = nextIndex;
    let done: Promise<Int32Array>;
    if (pool.length === 0) {
      done = Promise.resolve(concatSamples(gen, firstIndex, count));
    } else {
      const id = jobId++;
      done = new Promise((resolve, reject) => {
        if (failure) reject(failure);
        waiting.set(id, { resolve, reject });
      });
      (pool[id % pool.length] as Worker).postMessage({ id, start: firstIndex, count });
    }
    queue.push({ firstIndex, count, done });
    nextIndex += count;
    queuedSamples += count;
  };
  const inFlight = Math.max(1, 2 * pool.length);
  try {
    for (;;) {
      // maxLength bounds every sample, so queued work never overshoots the token target; a
      // mixture's shorter samples just mean more rounds.
      while (
        queue.length < inFlight &&
        queuedSamples < sampleLimit &&
        produced + (queuedSamples - emittedSamples) * gen.maxLength < tokenLimit
      ) {
        submit();
      }
      const job = queue.shift();
      if (!job) return;
      let tokens = await job.done;
      emittedSamples += job.count;
      if (produced + tokens.length > tokenLimit) tokens = tokens.subarray(0, tokenLimit - produced);
      produced += tokens.length;
      yield { tokens, firstIndex: job.firstIndex, samples: job.count };
      if (produced >= tokenLimit) return;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
