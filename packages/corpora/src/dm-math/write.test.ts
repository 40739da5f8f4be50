import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DM_MATH_MODULES, dmMathModules, dmMathProblem } from './modules.js';
import { MathRng } from './rng.js';
import { writeDmMath } from './write.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'procpt-dm-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('MathRng', () => {
  it('is deterministic per seed and stream, and streams differ', () => {
    const a = MathRng.fromSeed(1, 2, 3);
    const b = MathRng.fromSeed(1, 2, 3);
    const c = MathRng.fromSeed(1, 2, 4);
    const xs = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(xs);
  });
  it('draws uniform integers and bigints in range', () => {
    const r = MathRng.fromSeed(5);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[r.int(6)]++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    for (let i = 0; i < 100; i++) expect(r.bigBelow(10n ** 20n) < 10n ** 20n).toBe(true);
  });
});

describe('writeDmMath', () => {
  it('writes the original layout: five folders, alternating question/answer lines', async () => {
    const out = await tempDir();
    const result = await writeDmMath({ out, perModule: 3, seed: 1 });
    const root = join(out, 'mathematics_dataset-v1.0');
    expect((await readdir(root)).sort()).toEqual([
      'extrapolate',
      'interpolate',
      'train-easy',
      'train-hard',
      'train-medium',
    ]);
    expect((await readdir(join(root, 'train-easy'))).length).toBe(dmMathModules('train-easy').length);
    expect((await readdir(join(root, 'extrapolate'))).length).toBe(15);
    const text = await readFile(join(root, 'train-medium', 'algebra__linear_1d.txt'), 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toMatch(/^Solve .* for [a-z]\.$/);
    expect(lines[1]).toMatch(/^-?\d+$/);
    expect(result.pairs).toBe(3 * DM_MATH_MODULES.reduce((n, m) => n + m.splits.length, 0));
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const [a, b, c] = [await tempDir(), await tempDir(), await tempDir()];
    const opts = { perModule: 20, splits: ['train-hard'] as const, modules: ['numbers__gcd'] };
    await writeDmMath({ out: a, seed: 3, ...opts });
    await writeDmMath({ out: b, seed: 3, ...opts });
    await writeDmMath({ out: c, seed: 4, ...opts });
    const read = (d: string) =>
      readFile(join(d, 'mathematics_dataset-v1.0/train-hard/numbers__gcd.txt'), 'utf8');
    expect(await read(a)).toBe(await read(b));
    expect(await read(a)).not.toBe(await read(c));
  });

  it('rejects unknown modules and splits with a usage error', async () => {
    const out = await tempDir();
    await expect(writeDmMath({ out, perModule: 1, modules: ['algebra__nope'] })).rejects.toMatchObject({
      code: 'usage',
    });
    await expect(writeDmMath({ out, perModule: 0 })).rejects.toMatchObject({ code: 'config' });
  });
});

describe('difficulty and splits', () => {
  it('harder splits give longer problems on average', () => {
    const module = DM_MATH_MODULES.find((m) => m.name === 'arithmetic__add_or_sub');
    if (!module) throw new Error('missing module');
    const mean = (split: 'train-easy' | 'train-hard') => {
      let n = 0;
      for (let i = 0; i < 200; i++) n += dmMathProblem(module, split, 0, i).question.length;
      return n / 200;
    };
    expect(mean('train-hard')).toBeGreaterThan(mean('train-easy') + 3);
  });
  it('keeps measurement values of train and test disjoint (md5 parity)', () => {
    const module = DM_MATH_MODULES.find((m) => m.name === 'measurement__time');
    if (!module) throw new Error('missing module');
    const durations = (split: 'train-easy' | 'interpolate') =>
      new Set(
        Array.from(
          { length: 150 },
          (_, i) =>
            /(\d+) minutes/.exec(dmMathProblem(module, split, 0, i).question)?.[1] ??
            dmMathProblem(module, split, 0, i).answer,
        ),
      );
    const train = durations('train-easy');
    for (const d of durations('interpolate')) expect(train.has(d)).toBe(false);
  });
});
