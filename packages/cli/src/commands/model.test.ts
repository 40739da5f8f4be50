import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

const run = runProcpt;

describe('procpt model / eval loss', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'procpt-cli-model-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('init writes a checkpoint that info describes', async () => {
    const init = await run([
      'model',
      'init',
      '--size',
      '2_4_16',
      '--vocab',
      '11',
      '--positions',
      '9',
      '--seed',
      '3',
      '--out',
      join(root, 'a'),
    ]);
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    const info = await run(['--json', 'model', 'info', join(root, 'a')]);
    const value = JSON.parse(info.out);
    expect(value.parameters).toBe(6912);
    expect(value.parts).toEqual({ attn: 2176, ffn: 4256, ln: 160, embed: 320 });
    expect(value.meta).toEqual({ step: 0, init: { seed: 3 } });
  });

  it('transfer averages embeddings and reports mismatches with exit 2', async () => {
    const ok = await run([
      '--json',
      'model',
      'transfer',
      '--from',
      join(root, 'a'),
      '--size',
      '2_4_16',
      '--vocab',
      '20',
      '--positions',
      '9',
      '--parts',
      'everything',
      '--embedding-init',
      'average',
      '--out',
      join(root, 'b'),
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ parts: ['everything'], embeddingInit: 'average' });
    const bad = await run([
      'model',
      'transfer',
      '--from',
      join(root, 'a'),
      '--size',
      '1_4_32',
      '--vocab',
      '20',
      '--positions',
      '9',
      '--parts',
      'attn',
      '--out',
      join(root, 'c'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(
      /mismatch\(es\): transformer\.h\.0\.attn\.c_attn\.weight: source \[16,48\] vs target \[32,96\]/,
    );
  });

  it('eval loss pads right, never scores padding, and matches for any batch size', async () => {
    const data = join(root, 'd.jsonl');
    const lines = [
      { tokens: [1, 2, 3, 4, 5, 6, 7, 8], loss: [0, 1, 1, 1, 1, 1, 1, 1] },
      { tokens: [3, 4, 5], loss: [0, 1, 1] },
      { tokens: [9, 9, 0, 1], loss: [0, 0, 1, 1] },
    ];
    await writeFile(data, lines.map((l) => JSON.stringify(l)).join('\n'));
    const one = await run([
      '--json',
      'eval',
      'loss',
      '--checkpoint',
      join(root, 'a'),
      '--data',
      data,
      '--batch',
      '1',
      '--backend',
      'cpu',
    ]);
    const all = await run([
      '--json',
      'eval',
      'loss',
      '--checkpoint',
      join(root, 'a'),
      '--data',
      data,
      '--batch',
      '3',
      '--backend',
      'wasm',
    ]);
    expect(one.err).toBe('');
    const a = JSON.parse(one.out);
    const b = JSON.parse(all.out);
    expect(a.tokens).toBe(7 + 2 + 2);
    expect(b.tokens).toBe(a.tokens);
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(b.accuracy).toBeCloseTo(a.accuracy, 10);
    expect(a.loss).toBeGreaterThan(2);
    await writeFile(data, '{"tokens":[1,99],"loss":[0,1]}\n');
    const bad = await run(['eval', 'loss', '--checkpoint', join(root, 'a'), '--data', data]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/d\.jsonl:1: token 99 at 1 is outside the model vocabulary \[0, 11\)/);
  });
});
