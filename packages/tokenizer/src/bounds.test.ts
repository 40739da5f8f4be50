// Issue 19: the token-shard reader never trusts its header. Fuzzed with fast-check (fixed seed,
// few runs): whatever the bytes, it returns tokens that fit in the file or a `corrupt` ProcptError.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SHARD_HEADER_BYTES, SHARD_MAGIC, encodeHeader } from './shard-format.js';
import { readShard, readShardInfo } from './shard-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-shard-bounds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('token shard reader (fuzzing)', () => {
  it('fuzz: a shard with any header fields and length reads within its size or is a corrupt error', async () => {
    const path = join(dir, 'fuzz.bin');
    const int32 = fc.oneof(
      fc.integer({ min: -2, max: 64 }),
      fc.integer(),
      fc.constant(SHARD_MAGIC),
      fc.constant(0x7fff_ffff),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          magic: fc.oneof(fc.constant(SHARD_MAGIC), int32),
          version: fc.oneof(fc.constantFrom(1, 2), int32),
          count: int32,
          body: fc.uint8Array({ maxLength: 96 }),
          cut: fc.nat(SHARD_HEADER_BYTES + 96),
        }),
        async ({ magic, version, count, body, cut }) => {
          const header = encodeHeader(1, 0);
          const view = new DataView(header.buffer);
          view.setInt32(0, magic, true);
          view.setInt32(4, version, true);
          view.setInt32(8, count, true);
          const file = new Uint8Array(header.length + body.length);
          file.set(header);
          file.set(body, header.length);
          const bytes = cut < file.length && cut % 3 === 0 ? file.subarray(0, cut) : file;
          await writeFile(path, bytes);
          try {
            const info = await readShardInfo(path);
            const tokens = await readShard(path);
            return (
              tokens.length === info.tokenCount &&
              SHARD_HEADER_BYTES + tokens.length * info.bytesPerToken === bytes.length
            );
          } catch (error) {
            return error instanceof ProcptError && error.code === 'corrupt' && error.message.includes(path);
          }
        },
      ),
      { numRuns: 150, seed: 19 },
    );
  });
});
