import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharTokenizer } from './char.js';
import { Gpt2Tokenizer } from './gpt2.js';
import { tokenizeToShard } from './pipeline.js';
import { readShard } from './shard-reader.js';
import { findSafeCut, listInputFiles, readTextChunks, rechunkText } from './text-input.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-tok-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const gpt2 = new Gpt2Tokenizer();

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s);
  return out;
}

describe('chunking at whitespace boundaries', () => {
  it('cuts just before whitespace that follows a non-space', () => {
    expect(findSafeCut('ab cd')).toBe(2);
    expect(findSafeCut('ab  \n')).toBe(2);
    expect(findSafeCut('   x')).toBe(-1);
    expect(findSafeCut('a b c d', 4)).toBe(3);
    expect(findSafeCut('abcd e f', 1)).toBe(4);
  });

  it('gives exactly the ids of encoding the whole text', async () => {
    const alphabet = fc.constantFrom(
      'a',
      'Z',
      '7',
      ' ',
      '  ',
      '\n',
      '\n\n',
      '\t',
      "'s",
      '.',
      'é',
      '日',
      '🙂',
      ',',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(alphabet, { maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 9 }),
        async (parts, chunkChars, pieceLength) => {
          const text = parts.join('');
          const pieces: string[] = [];
          for (let i = 0; i < text.length; i += pieceLength) pieces.push(text.slice(i, i + pieceLength));
          // maxChunkChars large enough that only safe cuts happen.
          const chunks = await collect(rechunkText(pieces, { chunkChars, maxChunkChars: 1e9 }));
          expect(chunks.join('')).toBe(text);
          expect(chunks.flatMap((c) => gpt2.encode(c))).toEqual(gpt2.encode(text));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('still cuts text without whitespace, keeping surrogate pairs whole', async () => {
    const text = '🙂'.repeat(50);
    const chunks = await collect(rechunkText([text], { chunkChars: 7, maxChunkChars: 7 }));
    expect(chunks.join('')).toBe(text);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(7);
    expect(chunks.every((c) => !/[\ud800-\udbff]$/.test(c))).toBe(true);
  });

  it('streams a file with multi-byte characters split across reads', async () => {
    const path = join(dir, 'utf8.txt');
    const text = 'naïve café 日本語 🙂 '.repeat(20_000);
    await writeFile(path, text);
    let bytes = 0;
    const chunks = await collect(readTextChunks(path, { chunkChars: 5000, onBytes: (n) => (bytes += n) }));
    expect(chunks.join('')).toBe(text);
    expect(bytes).toBe(Buffer.byteLength(text));
    // Chunks stay near chunkChars, not near the 64 KiB read size.
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(5100);
  });
});

describe('listInputFiles', () => {
  it('lists a directory recursively in sorted order, skipping hidden files', async () => {
    const root = join(dir, 'corpus');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'b.txt'), 'b');
    await writeFile(join(root, 'a.txt'), 'a');
    await writeFile(join(root, 'sub', 'c.txt'), 'c');
    await writeFile(join(root, '.hidden'), 'x');
    expect(await listInputFiles(root)).toEqual([
      join(root, 'a.txt'),
      join(root, 'b.txt'),
      join(root, 'sub', 'c.txt'),
    ]);
    expect(await listInputFiles(join(root, 'a.txt'))).toEqual([join(root, 'a.txt')]);
  });

  it('rejects missing inputs and empty directories with usage errors', async () => {
    await expect(listInputFiles(join(dir, 'missing'))).rejects.toMatchObject({ code: 'usage' });
    await mkdir(join(dir, 'empty'));
    await expect(listInputFiles(join(dir, 'empty'))).rejects.toThrow(/contains no files/);
  });
});

describe('tokenizeToShard', () => {
  it('streams documents and chunked documents into a shard with separators', async () => {
    const out = join(dir, 'docs.bin');
    const docs = async function* () {
      yield 'Hello world';
      yield (async function* () {
        yield 'Hello';
        yield ' world';
      })();
    };
    const seen: number[] = [];
    const result = await tokenizeToShard({
      tokenizer: gpt2,
      documents: docs(),
      out,
      separator: 'eot',
      onProgress: (p) => seen.push(p.tokens),
    });
    expect(result).toMatchObject({ path: out, tokens: 6, documents: 2, characters: 22, version: 1 });
    expect([...(await readShard(out))]).toEqual([15496, 995, 50256, 15496, 995, 50256]);
    expect(seen.at(-1)).toBe(6);
  });

  it('writes the char tokenizer without separators', async () => {
    const out = join(dir, 'char.bin');
    await tokenizeToShard({ tokenizer: new CharTokenizer(), documents: ['ab', 'c'], out });
    expect([...(await readShard(out))]).toEqual([0, 1, 2]);
    await expect(
      tokenizeToShard({ tokenizer: new CharTokenizer(), documents: ['a'], out, separator: 'eot' }),
    ).rejects.toThrow(/no end-of-text token/);
  });

  it('leaves nothing behind when the input fails or the run is aborted', async () => {
    const out = join(dir, 'failed.bin');
    const failing = async function* () {
      yield 'fine';
      throw new Error('disk read failed');
    };
    await expect(tokenizeToShard({ tokenizer: gpt2, documents: failing(), out })).rejects.toThrow(
      /disk read failed/,
    );
    const controller = new AbortController();
    controller.abort();
    await expect(
      tokenizeToShard({ tokenizer: gpt2, documents: ['x'], out, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'interrupted' });
    expect((await readdir(dir)).filter((f) => f.includes('failed'))).toEqual([]);
  });
});
