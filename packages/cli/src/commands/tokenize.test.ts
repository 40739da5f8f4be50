import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readShard } from '@procpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

const run = runProcpt;

describe('procpt tokenize', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'procpt-cli-tokenize-'));
    await mkdir(join(root, 'corpus'));
    await writeFile(join(root, 'corpus', 'a.txt'), 'Hello world');
    await writeFile(join(root, 'corpus', 'b.txt'), 'Hello');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('tokenizes a directory with GPT-2 and EOT separators into a shard', async () => {
    const out = join(root, 'gpt2.bin');
    const res = await run([
      '--json',
      'tokenize',
      '--tokenizer',
      'gpt2',
      '--in',
      join(root, 'corpus'),
      '--out',
      out,
    ]);
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.out);
    expect(summary).toMatchObject({
      out,
      files: 2,
      documents: 2,
      tokens: 5,
      separator: 'eot',
      shardVersion: 1,
    });
    expect(summary.tokenizer).toEqual({
      name: 'gpt2',
      encoding: 'r50k_base',
      vocabSize: 50257,
      endOfText: 'text',
    });
    expect([...(await readShard(out))]).toEqual([15496, 995, 50256, 15496, 50256]);
  });

  it('tokenizes one file with the char tokenizer and no separator', async () => {
    const out = join(root, 'char.bin');
    const res = await run([
      'tokenize',
      '--tokenizer',
      'char',
      '--in',
      join(root, 'corpus', 'b.txt'),
      '--out',
      out,
      '--no-progress',
    ]);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(
      /wrote .*char\.bin: 5 char tokens \(uint16\) from 1 document\(s\) in 1 file\(s\), separator none/,
    );
    expect([...(await readShard(out))]).toEqual([33, 4, 11, 11, 14]);
  });

  it('exits 2 with one line for bad flags and inputs, writing nothing', async () => {
    const out = join(root, 'bad.bin');
    const cases: [string[], RegExp][] = [
      [['--tokenizer', 'bert', '--in', join(root, 'corpus')], /--tokenizer must be gpt2 or char/],
      [['--tokenizer', 'char', '--separator', 'eot', '--in', join(root, 'corpus')], /has none/],
      [
        ['--tokenizer', 'gpt2', '--separator', 'comma', '--in', join(root, 'corpus')],
        /--separator must be eot or none/,
      ],
      [['--tokenizer', 'gpt2', '--in', join(root, 'missing')], /input .*missing does not exist/],
      [
        ['--tokenizer', 'gpt2', '--format', 'xml', '--in', join(root, 'corpus')],
        /--format must be one of text/,
      ],
    ];
    for (const [flags, message] of cases) {
      const res = await run(['tokenize', ...flags, '--out', out]);
      expect(res.code).toBe(2);
      expect(res.err).toMatch(message);
      // one error line, and at most one `hint:` line after it
      const lines = res.err.trim().split('\n');
      expect(lines[0]).toMatch(/^procpt: /);
      expect(lines.length).toBeLessThanOrEqual(2);
      if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
    }
    expect((await readdir(root)).filter((f) => f.includes('bad'))).toEqual([]);
  });
});
