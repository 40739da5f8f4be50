import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDmMath } from '@procpt/corpora';
import { CharTokenizer } from '@procpt/tokenizer';
import { describe, expect, it } from 'vitest';
import { resolveData, shardSource } from './data.js';
import { resolveRunConfig } from './recipes.js';

describe('resolveData', () => {
  it('builds diagnostic train and test sources from @procpt/eval', async () => {
    const train = await resolveData({ kind: 'diagnostic', task: 'addition' }, 1, 'train');
    const test = await resolveData({ kind: 'diagnostic', task: 'addition', testSize: 8 }, 1, 'eval');
    expect(train).toMatchObject({ vocabSize: 31, length: 19 });
    expect(test.rows).toBe(8);
    let batches = 0;
    for await (const b of test.source.batches({ batch: 4, length: 19 })) {
      expect(b.tokens.length).toBe(4 * 19);
      batches++;
    }
    expect(batches).toBe(2);
  });

  it('passes a diagnostic stream seed through: run seed for the test set, stream seed for training', async () => {
    const entry = { kind: 'diagnostic', task: 'haystack', streamSeed: 42 } as const;
    const a = await resolveData(entry, 0, 'train');
    const b = await resolveData(entry, 1, 'train');
    expect(a.source.describe()).toMatchObject({ seed: 0, streamSeed: 42 });
    const first = async (d: typeof a) =>
      Array.from(
        (await d.source.batches({ batch: 2, length: 63 })[Symbol.asyncIterator]().next()).value.tokens,
      );
    expect(await first(a)).toEqual(await first(b));
  });

  it('reads DM-Math files with answer-only loss: train from train-*, eval from interpolate', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-dmmath-'));
    try {
      await writeDmMath({ out: dir, perModule: 3, seed: 1 });
      const config = resolveRunConfig({
        name: 'm',
        steps: 1,
        model: { size: '1_1_8' },
        data: {
          train: { kind: 'dm-math', root: dir },
          eval: { kind: 'dm-math', root: dir },
          batchSize: 2,
          length: 96,
        },
      });
      const train = await resolveData(config.data.train, 0, 'train');
      const test = await resolveData(config.data.eval!, 0, 'eval');
      expect(train.source.describe()).toMatchObject({ kind: 'dm-math', part: 'train' });
      expect(test.source.describe()).toMatchObject({ kind: 'dm-math', part: 'interpolate' });
      const chars = new CharTokenizer();
      const { bos, sep } = chars.special;
      expect(train.vocabSize).toBe(chars.vocabSize);
      const batch = (await train.source.batches({ batch: 2, length: 96 })[Symbol.asyncIterator]().next())
        .value!;
      // Scored targets are exactly the characters after a SEP, up to the next BOS or padding.
      let inAnswer = false;
      let scored = 0;
      for (let i = 0; i < batch.tokens.length; i++) {
        const t = batch.tokens[i]!;
        if (i % 96 === 0) inAnswer = false;
        if (t === bos) inAnswer = false;
        const expected = inAnswer && t !== chars.special.pad ? 1 : 0;
        expect(batch.loss[i], `position ${i}`).toBe(expected);
        scored += expected;
        if (t === sep) inAnswer = true;
      }
      expect(scored).toBeGreaterThan(0);
      await expect(resolveData({ kind: 'dm-math', root: join(dir, 'nope') }, 0, 'train')).rejects.toThrow(
        /cannot read DM-Math directory/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('shardSource', () => {
  it('yields consecutive windows, scores every target, resumes from its cursor and wraps', async () => {
    const tokens = Uint32Array.from({ length: 50 }, (_, i) => i % 7);
    const read = async (_p: string, start: number, count: number) => tokens.slice(start, start + count);
    const source = shardSource('mem.bin', 7, tokens.length, read);
    const it = source.batches({ batch: 2, length: 10 })[Symbol.asyncIterator]();
    const first = (await it.next()).value!;
    expect([...first.tokens.slice(10, 13)]).toEqual([3, 4, 5]);
    expect([...first.loss.slice(0, 3)]).toEqual([0, 1, 1]);
    expect(first.cursor).toEqual({ offset: 20 });
    const resumed = source.batches({ batch: 2, length: 10, cursor: first.cursor })[Symbol.asyncIterator]();
    const second = (await it.next()).value!;
    expect((await resumed.next()).value!.tokens).toEqual(second.tokens);
    const third = (await it.next()).value!; // rows at 40 (fits) then wraps to 0
    expect(third.cursor).toEqual({ offset: 10 });
    const bad = shardSource('bad.bin', 5, tokens.length, read).batches({ batch: 1, length: 10 });
    await expect(bad[Symbol.asyncIterator]().next()).rejects.toThrow(/outside the vocabulary of 5/);
  });
});
