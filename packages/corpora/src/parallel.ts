import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProcptError, checkLimit, limitValue, toProcptError } from '@procpt/core';
import type { Tokenizer } from '@procpt/tokenizer';

/**
 * Encodes batches of texts on worker threads (one per core, at most `threads`), so corpus
 * preparation uses every core. Results come back per batch, in the order asked. Falls back to
 * the calling thread when `threads` is 1 or the worker script is not built (running from sources).
 */
export class ParallelEncoder {
  private readonly waiting = new Map<
    number,
    { resolve: (v: Uint32Array[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 0;
  private turn = 0;
  /** The first worker failure: later batches fail with it instead of waiting on a dead worker. */
  private failure: ProcptError | undefined;

  private constructor(
    private readonly tokenizer: Tokenizer,
    private readonly workers: Worker[],
  ) {
    for (const w of workers) {
      w.on('message', (msg: { id: number; out: Uint32Array[] }) => {
        this.waiting.get(msg.id)?.resolve(msg.out);
        this.waiting.delete(msg.id);
      });
      w.on('error', (error) => {
        this.failure ??= new ProcptError(
          'runtime',
          `tokenizer worker failed: ${toProcptError(error).message}`,
          {
            cause: error,
            hint: 'a document may be too large for a worker; lower PROCPT_MAX_DOCUMENT_MB or use --threads 1',
          },
        );
        for (const p of this.waiting.values()) p.reject(this.failure);
        this.waiting.clear();
      });
    }
  }

  /** Threads actually used (1 = the calling thread). */
  get threads(): number {
    return Math.max(1, this.workers.length);
  }

  /** An encoder with up to `threads` workers (default: the number of cores). */
  static create(
    tokenizer: Tokenizer,
    threads = Math.min(availableParallelism(), limitValue('workers')),
  ): ParallelEncoder {
    checkLimit('workers', threads, 'tokenizer threads', { code: 'usage' });
    const script = fileURLToPath(new URL('./encode-worker.js', import.meta.url));
    if (threads <= 1 || !existsSync(script)) return new ParallelEncoder(tokenizer, []);
    const workers = Array.from(
      { length: threads },
      // a modest old-space cap makes each worker collect garbage early: memory stays flat with input size
      () =>
        new Worker(script, {
          workerData: { tokenizer: tokenizer.toJSON() },
          resourceLimits: { maxOldGenerationSizeMb: 128 },
        }),
    );
    return new ParallelEncoder(tokenizer, workers);
  }

  /** Token ids of each text. */
  encode(texts: string[]): Promise<Uint32Array[]> {
    if (this.workers.length === 0)
      return Promise.resolve(texts.map((t) => Uint32Array.from(this.tokenizer.encode(t))));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[this.turn++ % this.workers.length] as Worker;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ id, texts });
    });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
