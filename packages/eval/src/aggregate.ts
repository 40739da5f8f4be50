import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ProcptError, ensureDir, prepareOutput, writeFileAtomic, writeJsonAtomic } from '@procpt/core';
import { dataEfficiencyTable, dataEfficiencyToCsv, dataEfficiencyToMarkdown } from './data-efficiency.js';
import { type CurveSeries, barChartSvg, dataEfficiencySvg, learningCurvesSvg, tableBars } from './plots.js';
import { type RunSummary, readRunDir } from './run-summary.js';
import type { BootstrapOptions } from './stats.js';
import {
  type Table,
  assemblyTable,
  configLabel,
  proceduralTypeTable,
  tableToCsv,
  tableToMarkdown,
  transferTable,
} from './tables.js';

/** Options of {@link aggregateRuns}. */
export interface AggregateOptions {
  /** Diagnostic metric of the tables (default `accuracy`, the paper's). */
  metric?: string;
  bootstrap?: BootstrapOptions;
  /** Write into an `outDir` that holds files but no earlier aggregate (its same-named files are replaced). */
  force?: boolean;
}

/** What {@link aggregateRuns} wrote. */
export interface AggregateReport {
  runs: number;
  files: string[];
  tables: Table[];
}

/** Reads run directories (`result.json` each) and aggregates them with {@link aggregateRuns}. */
export async function aggregateRunDirs(
  dirs: readonly string[],
  outDir: string,
  options: AggregateOptions = {},
): Promise<AggregateReport> {
  if (dirs.length === 0) throw new ProcptError('usage', 'no run directories given');
  const runs = await Promise.all(dirs.map((d) => readRunDir(d)));
  return aggregateRuns(runs, outDir, options);
}

/**
 * Writes the study's tables (Markdown in `tables.md`, long-format CSV per table) and SVG plots (bar charts
 * with bootstrap intervals, learning curves with seed bands, data-efficiency curves) for `runs` into
 * `outDir`. Tables that the runs cannot fill (no transfer variants, no assemblies, no semantic runs) are
 * left out. An `outDir` holding other files and no `aggregate.json` is refused unless `options.force`.
 */
export async function aggregateRuns(
  runs: readonly RunSummary[],
  outDir: string,
  options: AggregateOptions = {},
): Promise<AggregateReport> {
  if (runs.length === 0) throw new ProcptError('data', 'no runs to aggregate');
  await prepareOutput(outDir, {
    kind: 'container',
    force: options.force === true,
    owned: (p) => existsSync(join(p, 'aggregate.json')),
    what: 'aggregate folder',
    forceHint: 'choose another --out, or pass --force to write the tables and plots into it',
  });
  await ensureDir(outDir);
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    await writeFileAtomic(join(outDir, name), text);
    files.push(name);
  };
  const opts = {
    ...(options.metric ? { metric: options.metric } : {}),
    ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
  };
  const diagnostic = runs.filter((r) => r.kind === 'diagnostic');
  const tables: Table[] = [];
  if (diagnostic.length > 0) {
    tables.push(proceduralTypeTable(diagnostic, opts));
    if (diagnostic.some((r) => r.transfer !== undefined && r.transfer !== 'everything'))
      tables.push(transferTable(diagnostic, opts));
    if (diagnostic.some((r) => r.assembly !== undefined)) tables.push(assemblyTable(diagnostic, opts));
  }
  const markdown: string[] = [];
  for (const table of tables.filter((t) => t.rows.length > 0)) {
    markdown.push(tableToMarkdown(table));
    await write(`${table.id}.csv`, tableToCsv(table));
    await write(
      `${table.id}.svg`,
      await barChartSvg(tableBars(table), {
        title: table.title,
        xLabel: 'task',
        yLabel: `${table.metric}${table.scale === 100 ? ' (%)' : ''}`,
      }),
    );
  }
  const semantic = runs.filter((r) => r.kind === 'semantic');
  if (semantic.length > 0) {
    const rows = dataEfficiencyTable(semantic, opts.bootstrap ? { bootstrap: opts.bootstrap } : {});
    if (rows.length > 0) {
      markdown.push(dataEfficiencyToMarkdown(rows));
      await write('data-efficiency.csv', dataEfficiencyToCsv(rows));
      await write('data-efficiency.svg', await dataEfficiencySvg(rows));
    }
  }
  for (const [task, group] of groupBy(runs, (r) => `${r.kind}\u0000${r.task}`)) {
    const first = group[0] as RunSummary;
    const name = task.split('\u0000')[1] as string;
    const curve = curveSeries(
      group,
      first.kind === 'diagnostic' ? ['accuracy', 'exactMatch', 'loss'] : ['perplexity', 'loss'],
    );
    if (curve === null) continue;
    await write(
      `curves-${fileSafe(name)}.svg`,
      await learningCurvesSvg(curve.series, {
        title: `${name}: ${curve.metric} during training`,
        xLabel: curve.x === 'tokens' ? 'semantic tokens' : 'step',
        yLabel: curve.metric,
        logY: curve.metric === 'perplexity',
      }),
    );
  }
  if (markdown.length > 0)
    await write('tables.md', `# procpt results (${runs.length} runs)\n\n${markdown.join('\n')}`);
  await writeJsonAtomic(join(outDir, 'aggregate.json'), { runs: runs.length, files });
  files.push('aggregate.json');
  return { runs: runs.length, files, tables };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

function curveSeries(
  runs: readonly RunSummary[],
  metrics: readonly string[],
): { metric: string; x: 'tokens' | 'step'; series: CurveSeries[] } | null {
  const metric = metrics.find((m) => runs.some((r) => r.curve?.some((p) => Number.isFinite(p.metrics[m]))));
  if (metric === undefined) return null;
  const x =
    runs.every((r) => (r.curve ?? []).every((p) => p.tokens !== undefined)) && runs[0]?.kind === 'semantic'
      ? 'tokens'
      : 'step';
  const series = runs.map((r) => ({
    label: configLabel(r),
    seed: r.seed,
    points: (r.curve ?? [])
      .filter((p) => Number.isFinite(p.metrics[metric]))
      .map((p) => ({ x: x === 'tokens' ? (p.tokens as number) : p.step, y: p.metrics[metric] as number })),
  }));
  return { metric, x, series };
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-');
}
