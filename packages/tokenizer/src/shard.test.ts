import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARD_HEADER_BYTES, SHARD_MAGIC } from './shard-format.js';
import { ShardReader, readShard, readShardInfo, readShardRange } from './shard-reader.js';
import { ShardWriter } from './shard-writer.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-shard-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeShard(path: string, tokens: number[], vocabSize: number, bufferTokens = 7) {
  const writer = await ShardWriter.open(path, { vocabSize, bufferTokens });
  // Several uneven writes exercise the buffer boundaries.
  for (let i = 0; i < tokens.length; i += 5) await writer.write(tokens.slice(i, i + 5));
  return writer.close();
}

describe('token shards', () => {
  it('writes the llm.c layout: 256 int32 header, then little-endian uint16 tokens', async () => {
    const path = join(dir, 'gpt2.bin');
    expect(await writeShard(path, [15496, 995, 50256], 50257)).toEqual({ path, tokens: 3 });
    const bytes = await readFile(path);
    expect(bytes.length).toBe(1024 + 6);
    expect([bytes.readInt32LE(0), bytes.readInt32LE(4), bytes.readInt32LE(8)]).toEqual([20240520, 1, 3]);
    expect(bytes.subarray(12, 1024).every((b) => b === 0)).toBe(true);
    expect([bytes.readUInt16LE(1024), bytes.readUInt16LE(1026), bytes.readUInt16LE(1028)]).toEqual([
      15496, 995, 50256,
    ]);
    expect(await readShardInfo(path)).toEqual({ path, version: 1, tokenCount: 3, bytesPerToken: 2 });
    // No temp file is left next to it.
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
  });

  it('round-trips uint16 and uint32 shards', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.nat({ max: 0x1_0000 + 50 }), { maxLength: 60 }),
        async (wide, raw) => {
          const vocab = wide ? 0x1_0000 + 51 : 0x1_0000;
          const tokens = raw.map((x) => x % vocab);
          const path = join(dir, `rt-${wide}.bin`);
          await writeShard(path, tokens, vocab);
          const back = await readShard(path);
          expect(back).toBeInstanceOf(wide ? Uint32Array : Uint16Array);
          expect([...back]).toEqual(tokens);
          const info = await readShardInfo(path);
          expect(info.version).toBe(wide ? 2 : 1);
          if (tokens.length >= 3) expect([...(await readShardRange(path, 1, 2))]).toEqual(tokens.slice(1, 3));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('reads ranges through one open reader and rejects ranges past the end', async () => {
    const path = join(dir, 'range.bin');
    await writeShard(path, [1, 2, 3, 4, 5], 10);
    const reader = await ShardReader.open(path);
    expect([...(await reader.read(0, 0))]).toEqual([]);
    expect([...(await reader.read(3, 2))]).toEqual([4, 5]);
    await expect(reader.read(4, 2)).rejects.toThrow(/range start 4, count 2 is outside its 5 tokens/);
    await reader.close();
  });

  it('rejects tokens outside the vocabulary and leaves no file behind', async () => {
    const path = join(dir, 'bad-token.bin');
    const writer = await ShardWriter.open(path, { vocabSize: 10 });
    await writer.write([1, 2]);
    await expect(writer.write([3, 10])).rejects.toThrow(
      /token 10 at index 1 of this write is outside the vocabulary \[0, 10\)/,
    );
    await writer.abort();
    await expect(readShardInfo(path)).rejects.toThrow(/cannot open token shard/);
    expect((await readdir(dir)).filter((f) => f.startsWith('.bad-token'))).toEqual([]);
    await expect(writer.write([1])).rejects.toThrow(/writer is already aborted/);
  });

  describe('corruption', () => {
    async function good(name: string): Promise<string> {
      const path = join(dir, name);
      await writeShard(path, [1, 2, 3, 4], 100);
      return path;
    }

    it('detects a truncated token section', async () => {
      const path = await good('trunc.bin');
      await truncate(path, SHARD_HEADER_BYTES + 5);
      await expect(readShardInfo(path)).rejects.toMatchObject({
        code: 'corrupt',
        message: expect.stringMatching(
          /trunc\.bin: truncated: the header says 4 tokens \(1032 bytes\) but the file has 1029 bytes/,
        ),
      });
      await expect(readShard(path)).rejects.toThrow(/truncated/);
    });

    it('detects a truncated header', async () => {
      const path = await good('short.bin');
      await truncate(path, 100);
      await expect(readShardInfo(path)).rejects.toThrow(/short\.bin: truncated header: 100 bytes/);
    });

    it('detects a bad magic number', async () => {
      const path = join(dir, 'magic.bin');
      await writeFile(path, Buffer.alloc(SHARD_HEADER_BYTES + 8, 7));
      await expect(readShardInfo(path)).rejects.toMatchObject({
        code: 'corrupt',
        message: expect.stringMatching(new RegExp(`bad magic \\d+, expected ${SHARD_MAGIC}`)),
      });
    });

    it('detects a header count that disagrees with the file size', async () => {
      const path = await good('count.bin');
      const bytes = await readFile(path);
      bytes.writeInt32LE(3, 8);
      await writeFile(path, bytes);
      await expect(readShardInfo(path)).rejects.toThrow(/size mismatch: the header says 3 tokens/);
      bytes.writeInt32LE(-1, 8);
      await writeFile(path, bytes);
      await expect(readShardInfo(path)).rejects.toThrow(/negative token count/);
    });

    it('detects an unknown version', async () => {
      const path = await good('version.bin');
      const bytes = await readFile(path);
      bytes.writeInt32LE(7, 4);
      await writeFile(path, bytes);
      await expect(readShardInfo(path)).rejects.toThrow(/unsupported version 7/);
    });

    it('reports a missing file as an io error', async () => {
      await expect(readShardInfo(join(dir, 'nope.bin'))).rejects.toMatchObject({ code: 'io' });
    });
  });

  it('stays memory-bounded while writing many chunks (waits for the disk)', async () => {
    const path = join(dir, 'many.bin');
    const bufferTokens = 4096;
    const writer = await ShardWriter.open(path, { vocabSize: 50257, bufferTokens });
    const chunk = Array.from({ length: 10_000 }, (_, i) => (i * 7919) % 50257);
    let maxPending = 0;
    for (let i = 0; i < 300; i++) {
      await writer.write(chunk);
      maxPending = Math.max(maxPending, writer.pendingBytes);
    }
    // Two token buffers (one filling, one being written) plus slack for the header.
    expect(maxPending).toBeLessThanOrEqual(2 * bufferTokens * 2 + 16 * 1024);
    expect(await writer.close()).toEqual({ path, tokens: 3_000_000 });
    const info = await readShardInfo(path);
    expect(info.tokenCount).toBe(3_000_000);
    const all = await readShard(path);
    let mismatches = 0;
    for (let i = 0; i < all.length; i++) if (all[i] !== chunk[i % 10_000]) mismatches++;
    expect(mismatches).toBe(0);
  });
});
