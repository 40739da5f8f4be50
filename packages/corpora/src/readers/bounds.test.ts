// Issue 19: corpus readers in bounded memory. A document over the per-document limit, a gzip
// stream that inflates like a bomb, and a `.gz` file that is not gzip are clear errors (or skipped
// and counted); the JSON Lines / gzip reader is fuzzed (fast-check, fixed seed, few runs).
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ProcptError } from '@procpt/core';
import { CharTokenizer } from '@procpt/tokenizer';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tokenizeCorpus } from '../tokenize-corpus.js';
import { emptyReadStats, readJsonlRecords } from './records.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-corpora-bounds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.PROCPT_MAX_DOCUMENT_MB;
  delete process.env.PROCPT_MAX_GZIP_RATIO;
});

async function collect(path: string, options: Parameters<typeof readJsonlRecords>[1]): Promise<string[]> {
  const out: string[] = [];
  for await (const r of readJsonlRecords(path, options)) out.push(r.text);
  return out;
}

/** `{"text": "aaaa…"}` of `bytes` characters, gzip-compressed (a few KiB on disk). */
function oneHugeDocument(bytes: number): Buffer {
  return gzipSync(Buffer.concat([Buffer.from('{"text":"'), Buffer.alloc(bytes, 'a'), Buffer.from('"}\n')]));
}

describe('gzip and JSON Lines limits (issue 19, findings 4 and 9)', () => {
  it('a small .json.gz holding one huge document is refused by the per-document limit, naming file and line', async () => {
    process.env.PROCPT_MAX_GZIP_RATIO = '1000000'; // only the document limit is tested here
    process.env.PROCPT_MAX_DOCUMENT_MB = '2';
    const path = join(dir, 'c4-train.00000-of-01024.json.gz');
    await writeFile(path, Buffer.concat([gzipSync('{"text":"ok"}\n'), oneHugeDocument(5 << 20)]));
    const got: string[] = [];
    await expect(
      (async () => {
        for await (const r of readJsonlRecords(path, { field: 'text' })) got.push(r.text);
      })(),
    ).rejects.toMatchObject({
      code: 'data',
      message: `${path} (line 2): a document longer than 2.0 MiB (the per-document limit)`,
      hint: expect.stringContaining('set PROCPT_MAX_DOCUMENT_MB to raise the limit (now 2 MiB)'),
    });
    expect(got).toEqual(['ok']);
    // under --on-error skip it is skipped and counted, and reading goes on
    await writeFile(path, Buffer.concat([oneHugeDocument(5 << 20), gzipSync('{"text":"after"}\n')]));
    const stats = emptyReadStats();
    expect(await collect(path, { field: 'text', onError: 'skip', stats })).toEqual(['after']);
    expect(stats.skipped).toBe(1);
    expect(stats.issues[0]?.line).toBe(1);
  });

  it('a gzip bomb is refused by the ratio limit once it has inflated 16 MiB, before the document limit', async () => {
    const path = join(dir, 'bomb.json.gz');
    const bomb = oneHugeDocument(40 << 20);
    expect(bomb.length).toBeLessThan(100_000);
    await writeFile(path, bomb);
    await expect(collect(path, { field: 'text' })).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(
        /bomb\.json\.gz: gzip data inflates more than 100× .*: a gzip bomb or a damaged file/,
      ),
      hint: expect.stringContaining('PROCPT_MAX_GZIP_RATIO'),
    });
    // the limits are options too, for library callers
    await expect(
      collect(path, { field: 'text', maxRatio: 1e9, maxDocumentBytes: 1 << 20 }),
    ).rejects.toMatchObject({
      code: 'data',
    });
  });

  it('a 0-byte .json.gz is a corrupt file, and tokenize writes no empty shard', async () => {
    const path = join(dir, 'empty', 'c4-train.00001-of-01024.json.gz');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'empty')));
    await writeFile(path, '');
    await expect(collect(path, { field: 'text' })).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(/not a gzip file \(0 bytes, no gzip header\) although named \.gz/),
    });
    const out = join(dir, 'empty.bin');
    await expect(
      tokenizeCorpus({ input: path, out, tokenizer: new CharTokenizer(), format: 'c4', threads: 1 }),
    ).rejects.toMatchObject({ code: 'corrupt' });
    await expect(
      tokenizeCorpus({
        input: path,
        out,
        tokenizer: new CharTokenizer(),
        format: 'c4',
        onError: 'skip',
        threads: 1,
      }),
    ).rejects.toMatchObject({
      code: 'data',
      message: expect.stringMatching(/holds no documents: no shard written/),
      hint: expect.stringMatching(/all 1 record\(s\) were skipped/),
    });
    expect((await readdir(dir)).filter((f) => f.startsWith('empty.bin'))).toEqual([]);
  });

  it('a DM-Math file without line breaks stops at the per-document limit', async () => {
    process.env.PROCPT_MAX_DOCUMENT_MB = '1';
    const root = join(dir, 'mathematics_dataset-v1.0', 'train-easy');
    await import('node:fs/promises').then((fs) => fs.mkdir(root, { recursive: true }));
    await writeFile(join(root, 'algebra__linear_1d.txt'), 'x'.repeat(3 << 20));
    await expect(
      tokenizeCorpus({
        input: join(dir, 'mathematics_dataset-v1.0'),
        out: join(dir, 'math.bin'),
        tokenizer: new CharTokenizer(),
        format: 'dm-math',
      }),
    ).rejects.toMatchObject({
      code: 'data',
      message: expect.stringMatching(/:1: line is longer than 1048576 bytes/),
    });
  });
});

describe('JSON Lines / gzip reader (fuzzing)', () => {
  const line = fc.oneof(
    fc.record({ text: fc.string({ maxLength: 20 }) }).map((v) => JSON.stringify(v)),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? ''),
    fc.string({ maxLength: 30 }),
    fc.constant('{"text": "a", "__proto__": {"text": 1}}'),
  );
  it('fuzz: any lines, plain or gzip, whole or cut, give strings or a ProcptError', async () => {
    const path = join(dir, 'fuzz.jsonl');
    const gzPath = join(dir, 'fuzz.jsonl.gz');
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 8 }),
        fc.boolean(),
        fc.option(fc.nat(400)),
        fc.constantFrom<'stop' | 'skip'>('stop', 'skip'),
        async (lines, gzip, cut, onError) => {
          let bytes: Buffer = Buffer.from(lines.join('\n'));
          if (gzip) bytes = gzipSync(bytes);
          if (cut !== null && cut < bytes.length) bytes = bytes.subarray(0, cut);
          const file = gzip ? gzPath : path;
          await writeFile(file, bytes);
          try {
            const texts = await collect(file, { field: 'text', onError, maxDocumentBytes: 64 });
            return texts.every((t) => typeof t === 'string' && Buffer.byteLength(t) <= 64);
          } catch (error) {
            return error instanceof ProcptError && onError === 'stop';
          }
        },
      ),
      { numRuns: 150, seed: 19 },
    );
  });
});
