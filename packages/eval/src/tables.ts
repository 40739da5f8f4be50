import { ProcptError } from '@procpt/core';
import {
  type PairedDifference,
  type SeedSummary,
  type BootstrapOptions,
  pairedDifference,
  summarize,
} from './stats.js';
import type { RunSummary } from './run-summary.js';
import { DIAGNOSTIC_TASK_NAMES } from './tasks/types.js';

/** One table cell: the metric over seeds and its paired difference against the baseline. */
export interface TableCell {
  stats: SeedSummary;
  /** Against the no-procedural baseline of the same column (null for the baseline row or no shared seeds). */
  diff: PairedDifference | null;
}

/** A results table (rows = configurations, columns = tasks). */
export interface Table {
  id: string;
  title: string;
  rowHeader: string;
  metric: string;
  /** Display multiplier (100 for accuracies shown in %). */
  scale: number;
  /** Whether smaller is better (loss, perplexity): decides what is bold. */
  lowerIsBetter: boolean;
  columns: string[];
  rows: { label: string; cells: (TableCell | null)[] }[];
}

/** True for the no-procedural-pretraining baseline. */
export function isBaseline(r: RunSummary): boolean {
  return r.procedural === 'none' && r.assembly === undefined && !r.shuffled;
}

/** The configuration label of a run: `none`, `dyck`, `dyck (shuffled)`, `set [attn]`, or its assembly. */
export function configLabel(r: RunSummary): string {
  if (r.assembly !== undefined) return r.assembly;
  let label = r.procedural;
  if (r.shuffled) label += ' (shuffled)';
  if (r.transfer !== undefined && r.transfer !== 'everything') label += ` [${r.transfer}]`;
  return label;
}

/** Options shared by the table builders. */
export interface TableOptions {
  metric?: string;
  bootstrap?: BootstrapOptions;
}

const LOWER_IS_BETTER = new Set(['loss', 'perplexity']);

function columnOrder(tasks: Iterable<string>): string[] {
  const known = DIAGNOSTIC_TASK_NAMES as readonly string[];
  return [...new Set(tasks)].sort((a, b) => {
    const ia = known.indexOf(a);
    const ib = known.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

/** Builds a configuration × task table of `metric` from runs, with an optional per-seed average column. */
export function buildTable(
  runs: readonly RunSummary[],
  spec: {
    id: string;
    title: string;
    rowHeader: string;
    rowOf: (r: RunSummary) => string | null;
    metric: string;
    average?: boolean;
    bootstrap?: BootstrapOptions;
  },
): Table {
  const { metric } = spec;
  const withMetric = runs.filter((r) => Number.isFinite(r.metrics[metric]));
  const columns = columnOrder(withMetric.map((r) => r.task));
  // values[row][column] = per-seed values
  const values = new Map<string, Map<string, { seed: number; value: number }[]>>();
  for (const r of withMetric) {
    const row = spec.rowOf(r);
    if (row === null) continue;
    const byCol = values.get(row) ?? new Map();
    values.set(row, byCol);
    const list = byCol.get(r.task) ?? [];
    byCol.set(r.task, list);
    if (list.some((x: { seed: number }) => x.seed === r.seed)) {
      throw new ProcptError('data', `two runs of ${row} on ${r.task} share seed ${r.seed} (${r.run})`, {
        hint: 'pass each run directory once, and give repeated runs different seeds',
      });
    }
    list.push({ seed: r.seed, value: r.metrics[metric] as number });
  }
  const baselineLabel = [...values.keys()].find((label) =>
    runs.some((r) => isBaseline(r) && spec.rowOf(r) === label),
  );
  const allColumns = spec.average && columns.length > 1 ? [...columns, 'average'] : columns;
  const perSeedAverage = (byCol: Map<string, { seed: number; value: number }[]>) => {
    const seeds = new Map<number, number[]>();
    for (const c of columns)
      for (const v of byCol.get(c) ?? []) seeds.set(v.seed, [...(seeds.get(v.seed) ?? []), v.value]);
    return [...seeds]
      .filter(([, vs]) => vs.length === columns.length)
      .map(([seed, vs]) => ({ seed, value: vs.reduce((a, b) => a + b, 0) / vs.length }));
  };
  const cellValues = (label: string, c: string) => {
    const byCol = values.get(label);
    if (!byCol) return [];
    return c === 'average' ? perSeedAverage(byCol) : (byCol.get(c) ?? []);
  };
  const rows = [...values.keys()]
    .sort((a, b) => (a === baselineLabel ? -1 : b === baselineLabel ? 1 : a.localeCompare(b)))
    .map((label) => ({
      label,
      cells: allColumns.map((c): TableCell | null => {
        const vs = cellValues(label, c);
        if (vs.length === 0) return null;
        const base =
          baselineLabel !== undefined && label !== baselineLabel ? cellValues(baselineLabel, c) : [];
        let diff: PairedDifference | null = null;
        if (base.length > 0 && vs.some((v) => base.some((b) => b.seed === v.seed))) {
          diff = pairedDifference(vs, base, spec.bootstrap);
        }
        return {
          stats: summarize(
            vs.map((v) => v.value),
            spec.bootstrap,
          ),
          diff,
        };
      }),
    }));
  return {
    id: spec.id,
    title: spec.title,
    rowHeader: spec.rowHeader,
    metric,
    scale: /accuracy|exactmatch/i.test(metric) ? 100 : 1,
    lowerIsBetter: LOWER_IS_BETTER.has(metric),
    columns: allColumns,
    rows,
  };
}

const plainTransfer = (r: RunSummary) => r.transfer === undefined || r.transfer === 'everything';

/** Procedural type × diagnostic task (full transfer, shuffled controls as their own rows). */
export function proceduralTypeTable(runs: readonly RunSummary[], options: TableOptions = {}): Table {
  const metric = options.metric ?? 'accuracy';
  return buildTable(
    runs.filter((r) => r.kind === 'diagnostic'),
    {
      id: 'procedural-type',
      title: `Diagnostic ${metric} by procedural data type (full-model transfer)`,
      rowHeader: 'procedural data',
      rowOf: (r) => (r.assembly === undefined && plainTransfer(r) ? configLabel(r) : null),
      metric,
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
    },
  );
}

/** Transferred parts (everything / attn / ffn ...) × diagnostic task. */
export function transferTable(runs: readonly RunSummary[], options: TableOptions = {}): Table {
  const metric = options.metric ?? 'accuracy';
  return buildTable(
    runs.filter((r) => r.kind === 'diagnostic'),
    {
      id: 'transfer-parts',
      title: `Diagnostic ${metric} by transferred parts`,
      rowHeader: 'procedural data · parts',
      rowOf: (r) =>
        r.assembly !== undefined
          ? null
          : isBaseline(r)
            ? 'none'
            : `${configLabel({ ...r, transfer: 'everything' })} · ${r.transfer ?? 'everything'}`,
      metric,
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
    },
  );
}

/** Weight assembly (e.g. SET attention + ECA MLP) against its parts and the baseline, with an average column. */
export function assemblyTable(runs: readonly RunSummary[], options: TableOptions = {}): Table {
  const metric = options.metric ?? 'accuracy';
  return buildTable(
    runs.filter((r) => r.kind === 'diagnostic'),
    {
      id: 'weight-assembly',
      title: `Weight assembly: diagnostic ${metric}`,
      rowHeader: 'configuration',
      rowOf: configLabel,
      metric,
      average: true,
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
    },
  );
}

function fmt(x: number, scale: number): string {
  const digits = scale === 100 ? 1 : Math.abs(x * scale) >= 100 ? 1 : 3;
  return (x * scale).toFixed(digits);
}

/** Markdown rendering: `mean ± sd` per cell, best mean per column in bold, n and Δ vs baseline in a footnote. */
export function tableToMarkdown(table: Table): string {
  const best = table.columns.map((_, c) => {
    const means = table.rows.map((r) => r.cells[c]?.stats.mean).filter((m): m is number => m !== undefined);
    return means.length < 2 ? Number.NaN : table.lowerIsBetter ? Math.min(...means) : Math.max(...means);
  });
  const lines = [
    `### ${table.title}`,
    '',
    `| ${table.rowHeader} | ${table.columns.join(' | ')} |`,
    `|---|${table.columns.map(() => '---:').join('|')}|`,
  ];
  for (const row of table.rows) {
    const cells = row.cells.map((cell, c) => {
      if (cell === null) return '—';
      const s = cell.stats;
      const text = Number.isNaN(s.sd)
        ? fmt(s.mean, table.scale)
        : `${fmt(s.mean, table.scale)} ± ${fmt(s.sd, table.scale)}`;
      const delta = cell.diff
        ? ` (Δ ${cell.diff.mean >= 0 ? '+' : ''}${fmt(cell.diff.mean, table.scale)})`
        : '';
      return s.mean === best[c] ? `**${text}**${delta}` : `${text}${delta}`;
    });
    lines.push(`| ${row.label} | ${cells.join(' | ')} |`);
  }
  const ns = new Set(
    table.rows.flatMap((r) => r.cells.map((c) => c?.stats.n)).filter((n) => n !== undefined),
  );
  lines.push(
    '',
    `${table.metric}${table.scale === 100 ? ' in %' : ''}; mean ± sd over seeds (n = ${[...ns].join(', ')}); ` +
      'Δ = paired mean difference against the no-procedural baseline; 95% bootstrap intervals in the CSV.',
  );
  return `${lines.join('\n')}\n`;
}

/** Long-format CSV: one line per cell with n, mean, sd, 95% CI and the paired difference with its CI. */
export function tableToCsv(table: Table): string {
  const header = 'table,row,column,metric,n,mean,sd,ci_low,ci_high,diff_mean,diff_ci_low,diff_ci_high';
  const lines = [header];
  for (const row of table.rows) {
    row.cells.forEach((cell, c) => {
      if (cell === null) return;
      const s = cell.stats;
      const d = cell.diff;
      const num = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : String(x));
      lines.push(
        [
          table.id,
          csvField(row.label),
          csvField(table.columns[c] as string),
          table.metric,
          s.n,
          num(s.mean),
          num(s.sd),
          num(s.ci[0]),
          num(s.ci[1]),
          num(d?.mean),
          num(d?.ci[0]),
          num(d?.ci[1]),
        ].join(','),
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** Quotes a CSV field when needed (RFC 4180). */
export function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
