import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aggregateRunDirs } from './aggregate.js';
import { dataEfficiencyTable, dataEfficiencyToMarkdown } from './data-efficiency.js';
import { barChartSvg, learningCurvesSvg } from './plots.js';
import { type RunSummary, parseMetricsJsonl, parseRunSummary, readRunDir } from './run-summary.js';
import { assemblyTable, proceduralTypeTable, tableToCsv, tableToMarkdown, transferTable } from './tables.js';

function diag(
  procedural: string,
  task: string,
  seed: number,
  accuracy: number,
  extra: Partial<RunSummary> = {},
): RunSummary {
  return {
    format: 'procpt.run-summary',
    version: 1,
    run: `${procedural}-${task}-${seed}-${extra.transfer ?? ''}${extra.assembly ?? ''}`,
    seed,
    kind: 'diagnostic',
    task,
    procedural,
    metrics: { accuracy },
    curve: [
      { step: 50, metrics: { accuracy: accuracy / 2 } },
      { step: 100, metrics: { accuracy } },
    ],
    ...extra,
  };
}

const runs: RunSummary[] = [];
for (const seed of [0, 1, 2]) {
  runs.push(diag('none', 'haystack', seed, 0.1 + seed * 0.01), diag('none', 'addition', seed, 0.6));
  runs.push(diag('dyck', 'haystack', seed, 0.9 + seed * 0.02), diag('dyck', 'addition', seed, 0.7));
  runs.push(diag('dyck', 'haystack', seed, 0.8, { transfer: 'attn' }));
  runs.push(diag('set', 'haystack', seed, 0.95, { assembly: 'set:attn+eca:ffn' }));
  runs.push(diag('set', 'addition', seed, 0.85, { assembly: 'set:attn+eca:ffn' }));
}

function semantic(procedural: string, seed: number, losses: number[], proceduralTokens?: number): RunSummary {
  return {
    format: 'procpt.run-summary',
    version: 1,
    run: `c4-${procedural}-${seed}`,
    seed,
    kind: 'semantic',
    task: 'c4',
    procedural,
    metrics: { loss: losses[losses.length - 1] as number },
    curve: losses.map((loss, i) => ({
      step: (i + 1) * 100,
      tokens: (i + 1) * 1000,
      metrics: { loss, perplexity: Math.exp(loss) },
    })),
    ...(proceduralTokens === undefined ? {} : { proceduralTokens }),
  };
}

describe('tables', () => {
  it('procedural type × task with hand-checked means and paired differences', () => {
    const t = proceduralTypeTable(runs);
    expect(t.columns).toEqual(['haystack', 'addition']);
    expect(t.rows.map((r) => r.label)).toEqual(['none', 'dyck']);
    const dyckHay = t.rows[1]?.cells[0];
    expect(dyckHay?.stats.mean).toBeCloseTo(0.92, 12);
    expect(dyckHay?.stats.sd).toBeCloseTo(0.02, 12);
    expect(dyckHay?.diff?.mean).toBeCloseTo(0.92 - 0.11, 12);
    const md = tableToMarkdown(t);
    expect(md).toContain('| dyck | **92.0 ± 2.0** (Δ +81.0) | **70.0 ± 0.0** (Δ +10.0) |');
    const csv = tableToCsv(t).trim().split('\n');
    expect(csv[0]).toBe(
      'table,row,column,metric,n,mean,sd,ci_low,ci_high,diff_mean,diff_ci_low,diff_ci_high',
    );
    expect(csv).toHaveLength(5);
  });

  it('transfer parts and weight assembly (with a per-seed average column)', () => {
    expect(transferTable(runs).rows.map((r) => r.label)).toEqual([
      'none',
      'dyck · attn',
      'dyck · everything',
    ]);
    const a = assemblyTable(runs);
    expect(a.columns).toEqual(['haystack', 'addition', 'average']);
    const asm = a.rows.find((r) => r.label === 'set:attn+eca:ffn');
    expect(asm?.cells[2]?.stats.mean).toBeCloseTo(0.9, 12);
  });

  it('rejects two runs of one configuration with the same seed', () => {
    expect(() => proceduralTypeTable([...runs, diag('none', 'haystack', 0, 0.5)])).toThrow(/share seed 0/);
  });
});

describe('data efficiency', () => {
  it('computes tokens to the baseline final loss per seed', () => {
    const rows = dataEfficiencyTable([
      semantic('none', 0, [5, 4, 3.5, 3]),
      semantic('union', 0, [4.5, 3.4, 2.8, 2.5], 2e6),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.baselineTokens).toBe(4000);
    expect(rows[0]?.tokens?.mean).toBeCloseTo(2000 + 1000 * (0.4 / 0.6), 9);
    expect(rows[0]?.fraction?.mean).toBeCloseTo((2000 + 1000 * (0.4 / 0.6)) / 4000, 9);
    expect(dataEfficiencyToMarkdown(rows)).toContain(
      '| c4 | union | 2.0M | 4.0k | 2.7k | 66.7% [66.7, 66.7] | 1/1 |',
    );
  });
});

describe('run summaries', () => {
  it('validates result.json and parses metrics.jsonl', () => {
    expect(() => parseRunSummary({ format: 'x' })).toThrow(/format must be/);
    expect(() => parseRunSummary({ ...runs[0], seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => parseRunSummary({ ...runs[0], metrics: { accuracy: 'high' } })).toThrow(
      /accuracy is not a finite number/,
    );
    expect(parseRunSummary(JSON.parse(JSON.stringify(runs[0])))).toEqual(runs[0]);
    const pts = parseMetricsJsonl(
      '{"step":1,"loss":2.5,"lr":0.001}\n\n{"step":2,"tokens":64,"metrics":{"accuracy":0.5}}\n',
    );
    expect(pts).toEqual([
      { step: 1, metrics: { loss: 2.5, lr: 0.001 } },
      { step: 2, tokens: 64, metrics: { accuracy: 0.5 } },
    ]);
    expect(() => parseMetricsJsonl('{"step":1}\n{"step":2,"lo\n{"step":3}\n')).toThrow(
      /metrics.jsonl:2: not valid JSON/,
    );
    // A torn last line is dropped; trainer lines: only evals, tokens from the train line of that step.
    const trainer = [
      '{"kind":"train","step":1,"loss":9,"lr":0.1,"tokens":64}',
      '{"kind":"train","step":2,"loss":8,"lr":0.1,"tokens":128}',
      '{"kind":"eval","step":2,"loss":7.5,"accuracy":0.25,"perplexity":1808.04,"count":40,"time":"t"}',
      '{"kind":"train","step":3,"lo',
    ].join('\n');
    expect(parseMetricsJsonl(trainer)).toEqual([
      { step: 2, tokens: 128, metrics: { loss: 7.5, accuracy: 0.25, perplexity: 1808.04 } },
    ]);
  });
});

function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, selfClose] = m;
    if (selfClose) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name as string);
  }
  return stack.length === 0 && svg.startsWith('<svg');
}

describe('plots', () => {
  it('renders well-formed SVG with title and axis labels', async () => {
    const svg = await learningCurvesSvg(
      [
        {
          label: 'dyck',
          seed: 0,
          points: [
            { x: 0, y: 0.1 },
            { x: 50, y: 0.5 },
          ],
        },
        {
          label: 'dyck',
          seed: 1,
          points: [
            { x: 0, y: 0.2 },
            { x: 50, y: 0.7 },
          ],
        },
      ],
      { title: 'Haystack accuracy', xLabel: 'training step', yLabel: 'accuracy' },
    );
    expect(wellFormed(svg)).toBe(true);
    for (const text of ['Haystack accuracy', 'training step', 'accuracy', 'dyck'])
      expect(svg).toContain(text);
    const bars = await barChartSvg([{ group: 'haystack', label: 'none', value: 11, low: 9, high: 13 }], {
      title: 'Bars',
      xLabel: 'task',
      yLabel: 'accuracy (%)',
    });
    expect(wellFormed(bars)).toBe(true);
    expect(bars).toContain('accuracy (%)');
  });
});

describe('aggregateRunDirs', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads run directories and writes tables and plots', async () => {
    const root = await mkdtemp(join(tmpdir(), 'procpt-eval-'));
    dirs.push(root);
    const all = [...runs, semantic('none', 0, [5, 4, 3]), semantic('set', 0, [4.5, 3.2, 2.9], 1e6)];
    const runDirs: string[] = [];
    for (const [i, r] of all.entries()) {
      const d = join(root, `run${i}`);
      await mkdir(d);
      const { curve, ...rest } = r;
      await writeFile(join(d, 'result.json'), JSON.stringify(i % 2 ? r : rest));
      if (!(i % 2))
        await writeFile(
          join(d, 'metrics.jsonl'),
          (curve ?? [])
            .map((p) => JSON.stringify({ step: p.step, tokens: p.tokens, ...p.metrics }))
            .join('\n'),
        );
      runDirs.push(d);
    }
    expect((await readRunDir(runDirs[0] as string)).curve).toHaveLength(2);
    const out = join(root, 'out');
    const report = await aggregateRunDirs(runDirs, out, { bootstrap: { resamples: 200 } });
    const files = (await readdir(out)).sort();
    expect(files).toEqual(
      [
        'aggregate.json',
        'curves-addition.svg',
        'curves-c4.svg',
        'curves-haystack.svg',
        'data-efficiency.csv',
        'data-efficiency.svg',
        'procedural-type.csv',
        'procedural-type.svg',
        'tables.md',
        'transfer-parts.csv',
        'transfer-parts.svg',
        'weight-assembly.csv',
        'weight-assembly.svg',
      ].sort(),
    );
    expect(report.runs).toBe(all.length);
    const md = await readFile(join(out, 'tables.md'), 'utf8');
    expect(md).toContain('### Weight assembly');
    expect(md).toContain('| c4 | set |');
    await expect(aggregateRunDirs([join(root, 'missing')], out)).rejects.toThrow(/cannot read/);
  });
});
