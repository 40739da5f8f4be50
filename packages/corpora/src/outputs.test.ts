import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpt2Tokenizer } from '@procpt/tokenizer';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ParallelEncoder } from './parallel.js';
import { prepareCorpus } from './prepare.js';
import { tokenizeCorpus } from './tokenize-corpus.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-corpora-out-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});
function fresh(): string {
  const dir = join(root, `c${n++}`);
  mkdirSync(dir);
  return dir;
}

describe('corpus writers check their outputs before starting worker threads', () => {
  it('prepare --out an existing file: one usage error, no encoder threads left to hang the process', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'file'), 'x');
    const create = vi.spyOn(ParallelEncoder, 'create');
    for (const domain of ['language', 'code', 'math'] as const) {
      await expect(prepareCorpus({ domain, out: join(dir, 'file'), maxDocuments: 4 })).rejects.toMatchObject({
        code: 'usage',
        message: `${join(dir, 'file')} is a file; procpt needs a folder there`,
      });
    }
    expect(create).not.toHaveBeenCalled();
    expect(readFileSync(join(dir, 'file'), 'utf8')).toBe('x');
  });

  it('prepare refuses, before any work, to replace a manifest.json or train.bin it did not write', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'manifest.json'), '{"mine": true}');
    const create = vi.spyOn(ParallelEncoder, 'create');
    await expect(prepareCorpus({ domain: 'language', out: dir, maxDocuments: 4 })).rejects.toMatchObject({
      code: 'usage',
      message: `${join(dir, 'manifest.json')} already exists and is not a corpus manifest written by procpt; procpt will not replace it`,
    });
    expect(create).not.toHaveBeenCalled();
    expect(readdirSync(dir)).toEqual(['manifest.json']);
    writeFileSync(join(dir, 'train.bin'), 'not a shard');
    await expect(
      prepareCorpus({ domain: 'code', out: dir, maxDocuments: 4, force: false }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/train\.bin already exists and is not a token shard/),
    });
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'train.bin']);
  });

  it('tokenizeCorpus onto a file it did not write: refused, no encoder started', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'in.txt'), 'hello world');
    writeFileSync(join(dir, 'out.bin'), 'keep');
    const create = vi.spyOn(ParallelEncoder, 'create');
    await expect(
      tokenizeCorpus({
        input: join(dir, 'in.txt'),
        out: join(dir, 'out.bin'),
        tokenizer: new Gpt2Tokenizer(),
        format: 'text',
      }),
    ).rejects.toMatchObject({ code: 'usage' });
    expect(create).not.toHaveBeenCalled();
    expect(readFileSync(join(dir, 'out.bin'), 'utf8')).toBe('keep');
  });
});
