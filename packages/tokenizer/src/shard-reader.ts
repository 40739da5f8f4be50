import { type FileHandle, open } from 'node:fs/promises';
import { ProcptError } from '@procpt/core';
import {
  SHARD_HEADER_BYTES,
  SHARD_MAGIC,
  type ShardVersion,
  bytesPerToken,
  fromLittleEndian,
} from './shard-format.js';

/** What a shard's header says, checked against the file's size. */
export interface ShardInfo {
  path: string;
  /** 1 = uint16 tokens, 2 = uint32 tokens. */
  version: ShardVersion;
  tokenCount: number;
  bytesPerToken: 2 | 4;
}

function corrupt(path: string, what: string): ProcptError {
  return new ProcptError('corrupt', `token shard ${path}: ${what}`, {
    hint: 'the file is damaged or not a procpt/llm.c token shard; re-create it with procpt tokenize',
  });
}

async function openForRead(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw new ProcptError('io', `cannot open token shard ${path}: ${(error as Error).message}`, {
      hint: 'check the path',
      cause: error,
    });
  }
}

/** Reads exactly `length` bytes at `position` into `target`, or throws a `corrupt` error. */
async function readExactly(
  handle: FileHandle,
  path: string,
  target: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0)
      throw corrupt(path, `file ended after ${position + done} bytes (shrank while reading?)`);
    done += bytesRead;
  }
}

async function readInfo(handle: FileHandle, path: string): Promise<ShardInfo> {
  const size = (await handle.stat()).size;
  if (size < SHARD_HEADER_BYTES) {
    throw corrupt(
      path,
      `truncated header: ${size} bytes, a shard starts with a ${SHARD_HEADER_BYTES}-byte header`,
    );
  }
  const header = new Uint8Array(12);
  await readExactly(handle, path, header, 0);
  const view = new DataView(header.buffer);
  const magic = view.getInt32(0, true);
  const version = view.getInt32(4, true);
  const tokenCount = view.getInt32(8, true);
  if (magic !== SHARD_MAGIC) throw corrupt(path, `bad magic ${magic}, expected ${SHARD_MAGIC}`);
  if (version !== 1 && version !== 2) {
    throw corrupt(path, `unsupported version ${version} (1 = uint16 tokens, 2 = uint32 tokens)`);
  }
  if (tokenCount < 0) throw corrupt(path, `negative token count ${tokenCount} in the header`);
  const width = bytesPerToken(version);
  const expected = SHARD_HEADER_BYTES + tokenCount * width;
  if (size !== expected) {
    const have = (size - SHARD_HEADER_BYTES) / width;
    throw corrupt(
      path,
      size < expected
        ? `truncated: the header says ${tokenCount} tokens (${expected} bytes) but the file has ${size} bytes (${Math.floor(have)} tokens)`
        : `size mismatch: the header says ${tokenCount} tokens (${expected} bytes) but the file has ${size} bytes`,
    );
  }
  return { path, version, tokenCount, bytesPerToken: width };
}

/** Reads and validates a shard's header: magic, version and size. Bad files → `corrupt` error. */
export async function readShardInfo(path: string): Promise<ShardInfo> {
  const handle = await openForRead(path);
  try {
    return await readInfo(handle, path);
  } finally {
    await handle.close();
  }
}

/**
 * An open shard for repeated range reads (one file handle; e.g. a trainer sampling windows).
 * Close it when done.
 */
export class ShardReader {
  private constructor(
    private readonly handle: FileHandle,
    /** The validated header. */
    readonly info: ShardInfo,
  ) {}

  /** Opens and validates a shard. */
  static async open(path: string): Promise<ShardReader> {
    const handle = await openForRead(path);
    try {
      return new ShardReader(handle, await readInfo(handle, path));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** All tokens, in the file's width. */
  async readAll(): Promise<Uint16Array | Uint32Array> {
    const { tokenCount, version } = this.info;
    const tokens = version === 1 ? new Uint16Array(tokenCount) : new Uint32Array(tokenCount);
    await this.fill(tokens, 0);
    return tokens;
  }

  /** Tokens `[start, start + count)`, widened to uint32. Out-of-range requests are `data` errors. */
  async read(start: number, count: number): Promise<Uint32Array> {
    const total = this.info.tokenCount;
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > total
    ) {
      throw new ProcptError(
        'data',
        `token shard ${this.info.path}: range start ${start}, count ${count} is outside its ${total} tokens`,
      );
    }
    if (this.info.version === 2) {
      const tokens = new Uint32Array(count);
      await this.fill(tokens, start);
      return tokens;
    }
    const narrow = new Uint16Array(count);
    await this.fill(narrow, start);
    return Uint32Array.from(narrow);
  }

  private async fill(tokens: Uint16Array | Uint32Array, start: number): Promise<void> {
    if (tokens.length === 0) return;
    const bytes = new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength);
    await readExactly(
      this.handle,
      this.info.path,
      bytes,
      SHARD_HEADER_BYTES + start * this.info.bytesPerToken,
    );
    fromLittleEndian(tokens);
  }

  /** Closes the file handle. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Reads a whole shard (uint16 or uint32, as stored), after validating it. */
export async function readShard(path: string): Promise<Uint16Array | Uint32Array> {
  const reader = await ShardReader.open(path);
  try {
    return await reader.readAll();
  } finally {
    await reader.close();
  }
}

/** Reads `count` tokens from `start`, widened to uint32. Use {@link ShardReader} for many reads. */
export async function readShardRange(path: string, start: number, count: number): Promise<Uint32Array> {
  const reader = await ShardReader.open(path);
  try {
    return await reader.read(start, count);
  } finally {
    await reader.close();
  }
}
