import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGenerator } from '@procpt/procgen';
import { readShard, readShardInfo } from '@procpt/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

const run = runProcpt;

describe('procpt gen', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes JSONL samples to stdout: the library samples at --start with --seed and params', async () => {
    const res = await run([
      'gen',
      'dyck',
      '--k',
      '3',
      '--length=8',
      '--n',
      '3',
      '--start',
      '5',
      '--seed',
      '7',
    ]);
    expect(res.code).toBe(0);
    const lines = res.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { tokens: number[]; loss: number[] });
    const gen = createGenerator({ type: 'dyck', k: 3, length: 8, seed: 7 });
    expect(lines).toEqual(
      [5, 6, 7].map((i) => {
        const s = gen.sample(i);
        return { tokens: Array.from(s.tokens), loss: Array.from(s.loss) };
      }),
    );
  });

  it('kebab-case params, --shuffled and --spec', async () => {
    const a = await run(['gen', 'set', '--vocab-size', '10', '--length', '4', '--n', '1', '--shuffled']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).tokens).toHaveLength(9);
    const spec = '{"type":"mixture","components":[{"type":"eca","weight":1,"width":4}]}';
    const b = await run(['gen', '--spec', spec, '--n', '2']);
    expect(b.code).toBe(0);
    expect(JSON.parse(b.out.split('\n')[0] as string).tokens).toHaveLength(20);
  });

  it('bad params and unknown flags exit 2 with the field and its range', async () => {
    const bad = await run(['gen', 'dyck', '--k', '0']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('dyck.k must be an integer in [1, 32767], got 0');
    const unknown = await run(['gen', 'dyck', '--depth', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('gen dyck has no option --depth');
    const noType = await run(['gen', 'tree']);
    expect(noType.code).toBe(2);
    expect(noType.err).toMatch(/type must be one of .*got "tree"/);
    const binNoOut = await run(['gen', 'dyck', '--format', 'bin', '--tokens', '10']);
    expect(binNoOut.code).toBe(2);
  });

  it('--list --json gives every type with defaults', async () => {
    const res = await run(['--json', 'gen', '--list']);
    expect(res.code).toBe(0);
    const types = JSON.parse(res.out) as { type: string; params: { name: string; default?: number }[] }[];
    expect(types.find((t) => t.type === 'eca')?.params.find((p) => p.name === 'rule')?.default).toBe(110);
  });

  it('writes an llm.c .bin shard of exactly --tokens tokens, and JSONL files atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-gen-'));
    dirs.push(dir);
    const path = join(dir, 'dyck.bin');
    const res = await run([
      '--json',
      'gen',
      'dyck',
      '--k',
      '4',
      '--length',
      '16',
      '--format',
      'bin',
      '--tokens',
      '1e3',
      '--out',
      path,
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ path, tokens: 1000 });
    const info = await readShardInfo(path);
    expect(info).toMatchObject({ version: 1, tokenCount: 1000 });
    const tokens = Array.from(await readShard(path));
    const gen = createGenerator({ type: 'dyck', k: 4, length: 16 });
    expect(tokens.slice(0, 32)).toEqual([...gen.sample(0).tokens, ...gen.sample(1).tokens]);
    const jsonl = join(dir, 'set.jsonl');
    expect((await run(['gen', 'set', '--n', '4', '--out', jsonl])).code).toBe(0);
    expect((await readFile(jsonl, 'utf8')).trim().split('\n')).toHaveLength(4);
  });
});
