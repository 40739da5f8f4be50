import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTokenShard } from './shard-format.js';
import { ShardWriter } from './shard-writer.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-shard-out-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
async function fresh(): Promise<string> {
  const dir = join(root, `c${n++}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  return dir;
}

describe('ShardWriter output policy', () => {
  it('replaces a shard, refuses any other file before writing (unless force)', async () => {
    const dir = await fresh();
    const shard = join(dir, 'a.bin');
    const w = await ShardWriter.open(shard, { vocabSize: 10 });
    await w.write([1, 2, 3]);
    await w.close();
    expect(await isTokenShard(shard)).toBe(true);
    const again = await ShardWriter.open(shard, { vocabSize: 10 });
    await again.write([4]);
    await again.close();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const e = await ShardWriter.open(join(dir, 'notes.txt'), { vocabSize: 10 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProcptError);
    expect((e as ProcptError).exitCode).toBe(2);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    const forced = await ShardWriter.open(join(dir, 'notes.txt'), { vocabSize: 10, force: true });
    await forced.close();
    expect(await isTokenShard(join(dir, 'notes.txt'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['a.bin', 'notes.txt']);
  });

  it('a full disk mid-write is one io error naming the shard, and the temp file is gone', async () => {
    const dir = await fresh();
    const w = await ShardWriter.open(join(dir, 'x.bin'), { vocabSize: 10, bufferTokens: 4 });
    await w.write([1, 2, 3]);
    // what the kernel reports on a full disk, delivered the way a real write failure arrives
    (
      w as unknown as { out: { stream: NodeJS.WritableStream & { destroy(e: Error): void } } }
    ).out.stream.destroy(
      Object.assign(new Error('ENOSPC: no space left on device, write'), {
        code: 'ENOSPC',
        syscall: 'write',
      }),
    );
    await new Promise((r) => setImmediate(r));
    const e = await w
      .write([1, 2, 3, 4, 5, 6, 7, 8])
      .then(() => w.close())
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProcptError);
    expect((e as ProcptError).userMessage).toBe(
      `cannot write token shard ${join(dir, 'x.bin')}: no space left on the device (free some space or write elsewhere)`,
    );
    await w.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});
