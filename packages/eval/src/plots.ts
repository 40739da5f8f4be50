import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { DataEfficiencyRow } from './data-efficiency.js';
import { mean, standardDeviation } from './stats.js';
import type { Table } from './tables.js';

type VlSpec = vegaLite.TopLevelSpec;

const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  background: 'white',
  config: {
    font: 'Helvetica, Arial, sans-serif',
    title: { fontSize: 15, anchor: 'start' as const },
    axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridOpacity: 0.4 },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 260 },
  },
};

/**
 * Renders a Vega-Lite spec to a standalone SVG string in Node (Vega's SVG renderer, no browser or canvas;
 * text widths are estimated).
 */
export async function renderSvg(spec: VlSpec): Promise<string> {
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** One run's curve: `points` of (x, y) for a configuration `label`. */
export interface CurveSeries {
  label: string;
  seed: number;
  points: { x: number; y: number }[];
}

/** Axis titles and options of a plot. */
export interface PlotLabels {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log-scaled y axis (perplexity). */
  logY?: boolean;
}

/**
 * Learning curves: per configuration, the mean over seeds at each x as a line and mean ± sd as a band.
 */
export async function learningCurvesSvg(series: readonly CurveSeries[], labels: PlotLabels): Promise<string> {
  const grouped = new Map<string, Map<number, number[]>>();
  for (const s of series) {
    const byX = grouped.get(s.label) ?? new Map<number, number[]>();
    grouped.set(s.label, byX);
    for (const p of s.points) {
      if (Number.isFinite(p.x) && Number.isFinite(p.y)) byX.set(p.x, [...(byX.get(p.x) ?? []), p.y]);
    }
  }
  const values: {
    configuration: string;
    x: number;
    mean: number;
    low: number;
    high: number;
    seeds: number;
  }[] = [];
  for (const [configuration, byX] of grouped) {
    for (const [x, ys] of [...byX].sort((a, b) => a[0] - b[0])) {
      const m = mean(ys);
      const sd = ys.length > 1 ? standardDeviation(ys) : 0;
      const low = labels.logY ? Math.max(m - sd, Math.min(...ys)) : m - sd;
      values.push({ configuration, x, mean: m, low, high: m + sd, seeds: ys.length });
    }
  }
  const y = {
    title: labels.yLabel,
    type: 'quantitative' as const,
    scale: labels.logY ? { type: 'log' as const } : { zero: false },
  };
  const x = { field: 'x', type: 'quantitative' as const, title: labels.xLabel };
  // Opaque legend swatches: otherwise the legend inherits the faint opacity of the seed bands.
  const color = {
    field: 'configuration',
    type: 'nominal' as const,
    title: 'configuration',
    legend: { symbolOpacity: 1, symbolType: 'stroke', symbolStrokeWidth: 3 },
  };
  const spec = {
    ...BASE,
    title: { text: labels.title, subtitle: 'mean over seeds; band = ± 1 sd' },
    width: 520,
    height: 320,
    data: { values },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' }, color },
      },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { ...y, field: 'mean' }, color } },
    ],
  } as VlSpec;
  return renderSvg(spec);
}

/** One bar: a configuration within a group (task), with an interval. */
export interface BarDatum {
  group: string;
  label: string;
  value: number;
  low: number;
  high: number;
}

/** Grouped bar chart with interval whiskers (e.g. 95% bootstrap CIs). */
export async function barChartSvg(
  bars: readonly BarDatum[],
  labels: Omit<PlotLabels, 'logY'> & { subtitle?: string },
): Promise<string> {
  // sort: null keeps the table's order (tasks as in the paper, baseline first) instead of alphabetical.
  const x = {
    field: 'group',
    type: 'nominal' as const,
    title: labels.xLabel,
    axis: { labelAngle: 0 },
    sort: null,
  };
  const xOffset = { field: 'label', type: 'nominal' as const, sort: null };
  const spec = {
    ...BASE,
    title: {
      text: labels.title,
      subtitle: labels.subtitle ?? 'mean over seeds; whiskers = 95% bootstrap CI',
    },
    // A fixed width: `{step}` with xOffset makes vega-lite size each offset band, blowing the chart up.
    width: Math.min(
      900,
      60 + 20 * new Set(bars.map((b) => b.label)).size * new Set(bars.map((b) => b.group)).size,
    ),
    height: 300,
    data: { values: bars.map((b) => ({ ...b })) },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x,
          xOffset,
          y: { field: 'value', type: 'quantitative', title: labels.yLabel },
          color: { field: 'label', type: 'nominal', title: 'configuration', sort: null },
        },
      },
      {
        mark: { type: 'rule', strokeWidth: 1.5, color: '#222' },
        encoding: { x, xOffset, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
      },
    ],
  } as VlSpec;
  return renderSvg(spec);
}

/** The bars of a results table (scaled as displayed), intervals = the cells' bootstrap CIs. */
export function tableBars(table: Table): BarDatum[] {
  const bars: BarDatum[] = [];
  for (const row of table.rows) {
    row.cells.forEach((cell, c) => {
      if (!cell) return;
      const s = table.scale;
      bars.push({
        group: table.columns[c] as string,
        label: row.label,
        value: cell.stats.mean * s,
        low: cell.stats.ci[0] * s,
        high: cell.stats.ci[1] * s,
      });
    });
  }
  return bars;
}

/** Data-efficiency curves: fraction of the baseline's semantic tokens vs procedural tokens, per corpus. */
export async function dataEfficiencySvg(rows: readonly DataEfficiencyRow[]): Promise<string> {
  const values = rows
    .filter((r) => r.fraction !== null && r.proceduralTokens !== null)
    .map((r) => ({
      series: `${r.corpus} · ${r.configuration}`,
      procedural: (r.proceduralTokens as number) / 1e6,
      fraction: 100 * (r.fraction?.mean ?? Number.NaN),
      low: 100 * (r.fraction?.ci[0] ?? Number.NaN),
      high: 100 * (r.fraction?.ci[1] ?? Number.NaN),
    }));
  const x = { field: 'procedural', type: 'quantitative' as const, title: 'procedural tokens (millions)' };
  const color = { field: 'series', type: 'nominal' as const, title: 'corpus · procedural data' };
  const spec = {
    ...BASE,
    title: {
      text: 'Semantic tokens needed to reach the baseline final loss',
      subtitle: '% of the baseline semantic tokens (100% = no saving); whiskers = 95% bootstrap CI',
    },
    width: 520,
    height: 320,
    layer: [
      {
        data: { values },
        layer: [
          {
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: {
                field: 'fraction',
                type: 'quantitative',
                title: 'semantic tokens needed (% of baseline)',
                scale: { zero: false },
              },
              color,
            },
          },
          {
            mark: { type: 'rule' },
            encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
          },
        ],
      },
      {
        data: { values: [{ y: 100 }] },
        mark: { type: 'rule', strokeDash: [4, 4], color: '#555' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  } as VlSpec;
  return renderSvg(spec);
}
