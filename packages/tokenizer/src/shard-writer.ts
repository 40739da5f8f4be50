import { once } from 'node:events';
import { open } from 'node:fs/promises';
import {
  type AtomicWriteStream,
  ProcptError,
  assertConfig,
  createAtomicWriteStream,
  fsError,
} from '@procpt/core';
import {
  SHARD_HEADER_BYTES,
  SHARD_MAX_TOKENS,
  type ShardVersion,
  bytesPerToken,
  encodeHeader,
  littleEndianBytes,
  isTokenShard,
  versionForVocab,
} from './shard-format.js';

/** Options of {@link ShardWriter.open}. */
export interface ShardWriterOptions {
  /** Vocabulary size: every token must be in `[0, vocabSize)`; > 65,536 ids → uint32 tokens. */
  vocabSize: number;
  /** Tokens buffered in memory before a write to disk (default 1,048,576). */
  bufferTokens?: number;
  /**
   * Replace an existing file at `path` that is not a token shard (default false: such a file is a
   * `usage` error, checked before anything is written). An existing shard is always replaced.
   */
  force?: boolean;
}

/**
 * Streams tokens into an llm.c-layout shard (`.bin`): a 1024-byte header (magic 20240520,
 * version, token count), then little-endian uint16 (version 1) or uint32 (version 2) tokens.
 *
 * Memory stays bounded by two buffers of tokens: one fills while the other is written, and
 * `write` waits for the disk before reusing a buffer. The file is written to a sibling temp file and lands
 * at `path` only on {@link ShardWriter.close}, which also writes the final token count into the
 * header — an interrupted run never leaves a half-written shard at `path`.
 */
export class ShardWriter {
  /** uint16 (1) or uint32 (2) tokens. */
  readonly version: ShardVersion;
  // Two buffers: one fills while the other is being written, so no token is ever copied twice.
  private readonly buffers: [Uint16Array | Uint32Array, Uint16Array | Uint32Array];
  private readonly inFlight: [Promise<void>, Promise<void>] = [Promise.resolve(), Promise.resolve()];
  private current = 0;
  private buffer: Uint16Array | Uint32Array;
  private filled = 0;
  private written = 0;
  private state: 'open' | 'closed' | 'aborted' = 'open';
  private failure: Error | undefined;

  private constructor(
    /** Final path of the shard. */
    readonly path: string,
    private readonly vocabSize: number,
    private readonly out: AtomicWriteStream,
    bufferTokens: number,
  ) {
    this.version = versionForVocab(vocabSize);
    const make = () => (this.version === 1 ? new Uint16Array(bufferTokens) : new Uint32Array(bufferTokens));
    this.buffers = [make(), make()];
    this.buffer = this.buffers[0];
    out.stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  /** Opens a writer; the shard appears at `path` only when {@link ShardWriter.close} succeeds. */
  static async open(path: string, options: ShardWriterOptions): Promise<ShardWriter> {
    const { vocabSize, bufferTokens = 1 << 20, force = false } = options;
    assertConfig(
      Number.isInteger(vocabSize) && vocabSize >= 1 && vocabSize <= 0x1_0000_0000,
      'shard vocabSize',
      'an integer in [1, 2^32]',
      vocabSize,
    );
    assertConfig(
      Number.isInteger(bufferTokens) && bufferTokens >= 1,
      'shard bufferTokens',
      'a positive integer',
      bufferTokens,
    );
    const out = await createAtomicWriteStream(path, { force, owned: isTokenShard, what: 'token shard' });
    const writer = new ShardWriter(path, vocabSize, out, bufferTokens);
    // Placeholder header; close() rewrites it with the final count.
    writer.out.stream.write(encodeHeader(writer.version, 0));
    return writer;
  }

  /** Tokens accepted so far. */
  get tokens(): number {
    return this.written + this.filled;
  }

  /** Bytes held in memory and not yet handed to the OS (buffer + stream queue); a diagnostic. */
  get pendingBytes(): number {
    return this.filled * this.buffer.BYTES_PER_ELEMENT + this.out.stream.writableLength;
  }

  /**
   * Appends tokens. Ids outside `[0, vocabSize)` are a `data` ProcptError and nothing of this call
   * is written. Resolves once the tokens are buffered and the stream has room again.
   */
  async write(tokens: ArrayLike<number>): Promise<void> {
    this.assertOpen();
    const n = tokens.length;
    for (let i = 0; i < n; i++) {
      const id = tokens[i] as number;
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new ProcptError(
          'data',
          `token shard ${this.path}: token ${String(id)} at index ${i} of this write is outside the vocabulary [0, ${this.vocabSize})`,
          { hint: 'the tokens and the vocabSize given to ShardWriter.open disagree' },
        );
      }
    }
    if (this.tokens + n > SHARD_MAX_TOKENS) {
      throw new ProcptError('data', `token shard ${this.path}: more than ${SHARD_MAX_TOKENS} tokens`, {
        hint: 'split the corpus into several shards',
      });
    }
    let i = 0;
    while (i < n) {
      const take = Math.min(n - i, this.buffer.length - this.filled);
      for (let k = 0; k < take; k++) this.buffer[this.filled + k] = tokens[i + k] as number;
      this.filled += take;
      i += take;
      if (this.filled === this.buffer.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    const bytes = littleEndianBytes(this.buffer.subarray(0, this.filled));
    const index = this.current;
    this.inFlight[index] = new Promise((resolve) => {
      this.out.stream.write(bytes, (error) => {
        if (error) this.failure ??= error;
        resolve();
      });
    });
    this.written += this.filled;
    this.filled = 0;
    // Switch buffers; the other one may only be refilled once its own write has finished.
    this.current = 1 - index;
    this.buffer = this.buffers[this.current] as Uint16Array | Uint32Array;
    await this.inFlight[this.current];
    this.throwIfFailed();
  }

  /** Flushes, writes the final header, syncs and renames the shard into place. */
  async close(): Promise<{ path: string; tokens: number }> {
    this.assertOpen();
    try {
      await this.flush();
      await Promise.all(this.inFlight);
      this.throwIfFailed();
      const stream = this.out.stream;
      const closed = once(stream, 'close');
      stream.end();
      await closed;
      this.throwIfFailed();
      const handle = await open(this.out.tempPath, 'r+');
      try {
        await handle.write(encodeHeader(this.version, this.written), 0, SHARD_HEADER_BYTES, 0);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await this.out.commit();
      this.state = 'closed';
      return { path: this.path, tokens: this.written };
    } catch (error) {
      const cause = this.out.stream.errored ?? error;
      await this.abort();
      if (cause instanceof ProcptError) throw cause;
      throw this.ioError(cause);
    }
  }

  /** Discards the temp file; `path` is left as it was. Safe to call more than once. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.out.abort();
  }

  private assertOpen(): void {
    if (this.state !== 'open') {
      throw new ProcptError('runtime', `token shard ${this.path}: writer is already ${this.state}`);
    }
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    // the error that destroyed the stream (ENOSPC, EIO) says more than "write after destroy"
    const cause = this.out.stream.errored ?? this.failure;
    if (cause) throw this.ioError(cause);
  }

  private ioError(error: unknown): ProcptError {
    return fsError(error, 'write token shard', this.path);
  }
}

/** Bytes a shard of `tokenCount` tokens takes for a vocabulary of `vocabSize` ids. */
export function shardByteLength(tokenCount: number, vocabSize: number): number {
  return SHARD_HEADER_BYTES + tokenCount * bytesPerToken(versionForVocab(vocabSize));
}
