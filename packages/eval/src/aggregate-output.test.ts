import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateRuns } from './aggregate.js';
import type { RunSummary } from './run-summary.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-aggregate-out-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const runs: RunSummary[] = [0, 1].map((seed) => ({
  format: 'procpt.run-summary',
  version: 1,
  run: `none-haystack-${seed}`,
  seed,
  kind: 'diagnostic',
  task: 'haystack',
  procedural: 'none',
  metrics: { accuracy: 0.5 },
}));

describe('aggregateRuns output policy', () => {
  it("refuses an --out holding someone else's files (same names would be replaced) unless force", async () => {
    const out = join(root, 'mine');
    mkdirSync(out);
    writeFileSync(join(out, 'tables.md'), 'my own tables');
    await expect(aggregateRuns(runs, out, { bootstrap: { resamples: 50 } })).rejects.toMatchObject({
      code: 'usage',
      message: `${out} already holds files and is not procpt's aggregate folder`,
    });
    expect(readdirSync(out)).toEqual(['tables.md']);
    await aggregateRuns(runs, out, { bootstrap: { resamples: 50 }, force: true });
    expect(readFileSync(join(out, 'tables.md'), 'utf8')).toContain('# procpt results');
    // once it holds an aggregate, it is procpt's: rewriting needs no force
    await aggregateRuns(runs, out, { bootstrap: { resamples: 50 } });
  });
});
