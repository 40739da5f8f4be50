import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CharTokenizer, Gpt2Tokenizer, readShard } from '@procpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDmMath } from './dm-math/write.js';
import { tokenizeCorpus } from './tokenize-corpus.js';

let dir: string;
const gpt2 = new Gpt2Tokenizer();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-tokcorpus-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tokenizeCorpus', () => {
  it('C4: auto-detected, documents concatenated with no separator', async () => {
    const input = join(dir, 'c4-validation.00000-of-00008.json.gz');
    await writeFile(
      input,
      gzipSync(
        ['Hello world.', ' Second doc']
          .map((text) => JSON.stringify({ text, timestamp: 't', url: 'u' }))
          .join('\n'),
      ),
    );
    const r = await tokenizeCorpus({ input, out: join(dir, 'c4.bin'), tokenizer: gpt2 });
    expect(r).toMatchObject({ format: 'c4', separator: 'none', documents: 2 });
    expect(Array.from(await readShard(r.path))).toEqual([
      ...gpt2.encode('Hello world.'),
      ...gpt2.encode(' Second doc'),
    ]);
  });
  it('CodeParrot: <|endoftext|> after every file', async () => {
    const input = join(dir, 'file-000000000001.json.gz');
    await writeFile(
      input,
      gzipSync(['x = 1\n', 'y = 2\n'].map((content) => JSON.stringify({ content, path: 'a.py' })).join('\n')),
    );
    const r = await tokenizeCorpus({ input, out: join(dir, 'cp.bin'), tokenizer: gpt2 });
    expect(r).toMatchObject({ format: 'codeparrot', separator: 'eot' });
    expect(Array.from(await readShard(r.path))).toEqual([
      ...gpt2.encode('x = 1\n'),
      50256,
      ...gpt2.encode('y = 2\n'),
      50256,
    ]);
  });
  it('DM-Math: every pair as BOS q SEP a with the char tokenizer', async () => {
    await writeDmMath({
      out: join(dir, 'dm'),
      perModule: 2,
      splits: ['train-easy'],
      modules: ['numbers__gcd', 'arithmetic__mul'],
    });
    const char = new CharTokenizer();
    const r = await tokenizeCorpus({ input: join(dir, 'dm'), out: join(dir, 'dm.bin'), tokenizer: char });
    expect(r).toMatchObject({ format: 'dm-math', documents: 4, files: 2 });
    const text = char.decode(await readShard(r.path));
    expect(text.match(/<BOS>/g)).toHaveLength(4);
    expect(text).toMatch(/^<BOS>[^<]+[.?]<SEP>-?\d+<BOS>/);
    await expect(
      tokenizeCorpus({ input: join(dir, 'dm'), out: join(dir, 'x.bin'), tokenizer: gpt2 }),
    ).rejects.toMatchObject({ code: 'usage' });
  });
  it('a malformed line stops with file and line, or is skipped and counted', async () => {
    const input = join(dir, 'c4-train.00003-of-01024.json.gz');
    await writeFile(input, gzipSync(`${JSON.stringify({ text: 'ok' })}\nnot json\n`));
    await expect(tokenizeCorpus({ input, out: join(dir, 'bad.bin'), tokenizer: gpt2 })).rejects.toMatchObject(
      { message: expect.stringContaining('(line 2)') },
    );
    const r = await tokenizeCorpus({ input, out: join(dir, 'bad.bin'), tokenizer: gpt2, onError: 'skip' });
    expect(r.stats.skipped).toBe(1);
    expect(r.documents).toBe(1);
  });
});
