import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Gpt2Tokenizer, readShard } from '@procpt/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

describe('procpt corpora', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'procpt-cli-corpora-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists the embedded corpora with sizes and licences', async () => {
    const res = await runProcpt(['--json', 'corpora', 'list']);
    expect(res.code).toBe(0);
    const list = JSON.parse(res.out) as { name: string; licence: string; bytes: number }[];
    expect(list.map((c) => c.name)).toEqual(
      expect.arrayContaining(['sotu', 'moby-dick', 'dm-math-generated']),
    );
    expect(list.find((c) => c.name === 'sotu')?.bytes).toBeGreaterThan(10_000_000);
  });

  it('writes DM-Math files', async () => {
    const res = await runProcpt([
      'corpora',
      'dm-math',
      '--out',
      join(root, 'dm'),
      '--per-module',
      '2',
      '--split',
      'extrapolate',
      '--no-progress',
    ]);
    expect(res.code).toBe(0);
    const text = await readFile(
      join(root, 'dm', 'mathematics_dataset-v1.0', 'extrapolate', 'comparison__sort_more.txt'),
      'utf8',
    );
    expect(text.trim().split('\n')).toHaveLength(4);
  });

  it('exits 2 on bad flags', async () => {
    expect((await runProcpt(['corpora', 'prepare', '--domain', 'poetry', '--out', root])).code).toBe(2);
    expect((await runProcpt(['corpora', 'dm-math', '--out', root, '--split', 'nope'])).code).toBe(2);
  });

  it('procpt tokenize detects C4 and joins documents without separator', async () => {
    const input = join(root, 'c4-train.00000-of-01024.json.gz');
    await writeFile(
      input,
      gzipSync(['One.', ' Two.'].map((text) => JSON.stringify({ text, timestamp: '', url: '' })).join('\n')),
    );
    const out = join(root, 'c4.bin');
    const res = await runProcpt([
      '--json',
      'tokenize',
      '--tokenizer',
      'gpt2',
      '--in',
      input,
      '--out',
      out,
      '--no-progress',
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ format: 'c4', separator: 'none', documents: 2 });
    const gpt2 = new Gpt2Tokenizer();
    expect(Array.from(await readShard(out))).toEqual([...gpt2.encode('One.'), ...gpt2.encode(' Two.')]);
  });

  it('procpt tokenize applies --include/--exclude globs to text inputs', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'src', 'pkg'), { recursive: true });
    await writeFile(join(root, 'src', 'pkg', 'a.py'), 'x = 1\n');
    await writeFile(join(root, 'src', 'notes.md'), 'notes');
    const out = join(root, 'py.bin');
    const res = await runProcpt([
      '--json',
      'tokenize',
      '--tokenizer',
      'gpt2',
      '--in',
      join(root, 'src'),
      '--out',
      out,
      '--include',
      '*.py',
      '--no-progress',
    ]);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ format: 'text', files: 1, documents: 1 });
    expect(Array.from(await readShard(out))).toEqual([...new Gpt2Tokenizer().encode('x = 1\n'), 50256]);
  });
});
