import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Gpt, gptConfig, saveCheckpoint } from '@procpt/model';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcpt } from '../testing.js';

const run = runProcpt;

describe('procpt eval', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('diag scores a checkpoint on a diagnostic task', async () => {
    const { selectBackend } = await import('@procpt/trainer-gpu');
    await selectBackend('cpu');
    const root = await mkdtemp(join(tmpdir(), 'procpt-cli-eval-'));
    dirs.push(root);
    const gpt = Gpt.create(
      gptConfig('2_4_16', { vocabSize: 256, nPositions: 100, tied: false, dropout: 0 }),
      { seed: 1 },
    );
    await saveCheckpoint(join(root, 'ckpt'), gpt, { step: 0, seed: 3 });
    gpt.dispose();
    const res = await run([
      '--json',
      'eval',
      'diag',
      '--task',
      'haystack',
      '--checkpoint',
      join(root, 'ckpt'),
      '--n',
      '40',
      '--backend',
      'cpu',
    ]);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out).toMatchObject({
      task: 'haystack',
      paperId: 'condattendstream_30',
      seed: 3,
      examples: 40,
      scored: 40,
      backend: 'cpu',
    });
    expect(out.accuracy).toBe(out.exactMatch);
  });

  it('diag rejects bad flags with exit 2', async () => {
    expect((await run(['eval', 'diag', '--task', 'nope', '--checkpoint', 'x'])).code).toBe(2);
    expect((await run(['eval', 'diag', '--task', 'haystack', '--checkpoint', 'x', '--n', '0'])).code).toBe(2);
  });

  it('aggregate writes tables and plots; protocol prints the preset', async () => {
    const root = await mkdtemp(join(tmpdir(), 'procpt-cli-agg-'));
    dirs.push(root);
    const runDirs: string[] = [];
    for (const [procedural, accuracy] of [
      ['none', 0.1],
      ['dyck', 0.9],
    ] as const) {
      for (const seed of [0, 1]) {
        const d = join(root, `${procedural}-${seed}`);
        await mkdir(d);
        const summary = {
          format: 'procpt.run-summary',
          version: 1,
          run: d,
          seed,
          kind: 'diagnostic',
          task: 'haystack',
          procedural,
          metrics: { accuracy: accuracy + seed / 100 },
        };
        await writeFile(join(d, 'result.json'), JSON.stringify(summary));
        runDirs.push(d);
      }
    }
    const res = await run([
      '--json',
      'eval',
      'aggregate',
      ...runDirs,
      '--out',
      join(root, 'out'),
      '--resamples',
      '100',
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).runs).toBe(4);
    expect((await readdir(join(root, 'out'))).sort()).toEqual([
      'aggregate.json',
      'procedural-type.csv',
      'procedural-type.svg',
      'tables.md',
    ]);
    const proto = await run(['--json', 'eval', 'protocol', '--task', 'multiplication']);
    expect(JSON.parse(proto.out)).toMatchObject({
      steps: 156_250,
      batchSize: 64,
      model: { size: '4_8_512' },
    });
    expect((await run(['eval', 'protocol', '--task', 'haystack', '--preset', 'huge'])).code).toBe(2);
  });
});
