import { ProcptError } from '@procpt/core';
import { type CurvePoint, tokensToTarget } from './efficiency.js';
import type { RunSummary } from './run-summary.js';
import { type BootstrapOptions, type SeedSummary, summarize } from './stats.js';
import { configLabel, csvField, isBaseline } from './tables.js';

/** One line of the data-efficiency table: a configuration on a corpus against that corpus's baseline. */
export interface DataEfficiencyRow {
  corpus: string;
  configuration: string;
  proceduralTokens: number | null;
  /** Baseline's semantic tokens (its final evaluation) and final loss (mean over baseline seeds). */
  baselineTokens: number;
  targetLoss: number;
  /** Semantic tokens to reach the target, over the runs that reach it (null if none does). */
  tokens: SeedSummary | null;
  /** tokens / baselineTokens over the runs that reach it. */
  fraction: SeedSummary | null;
  /** Runs that reach the target, of all runs of the configuration. */
  reached: number;
  runs: number;
}

function curveOf(r: RunSummary, metric: string): CurvePoint[] {
  const points = (r.curve ?? [])
    .filter((p) => p.tokens !== undefined && Number.isFinite(p.metrics[metric]))
    .map((p) => ({ tokens: p.tokens as number, loss: p.metrics[metric] as number }));
  if (points.length === 0) {
    throw new ProcptError('data', `run ${r.run} has no evaluation curve with tokens and ${metric}`, {
      hint: 'data efficiency needs curve points with "tokens" and the metric (result.json curve or metrics.jsonl)',
    });
  }
  return points;
}

/**
 * Substitutive data efficiency per corpus and configuration: each run is compared with the baseline run of
 * the same seed (or the lowest-seed baseline when that seed has none) by {@link tokensToTarget} on
 * `metric` (default `loss`, lower is better).
 */
export function dataEfficiencyTable(
  runs: readonly RunSummary[],
  options: { metric?: string; bootstrap?: BootstrapOptions } = {},
): DataEfficiencyRow[] {
  const metric = options.metric ?? 'loss';
  const semantic = runs.filter((r) => r.kind === 'semantic');
  const rows: DataEfficiencyRow[] = [];
  for (const corpus of [...new Set(semantic.map((r) => r.task))].sort()) {
    const onCorpus = semantic.filter((r) => r.task === corpus);
    const baselines = onCorpus.filter(isBaseline).sort((a, b) => a.seed - b.seed);
    if (baselines.length === 0) continue;
    const baseBySeed = new Map(baselines.map((b) => [b.seed, curveOf(b, metric)]));
    const groups = new Map<string, RunSummary[]>();
    for (const r of onCorpus) {
      if (isBaseline(r)) continue;
      const key = `${configLabel(r)}\u0000${r.proceduralTokens ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const finals = baselines.map((b) =>
      tokensToTarget(baseBySeed.get(b.seed) as CurvePoint[], baseBySeed.get(b.seed) as CurvePoint[]),
    );
    const keys = [...groups.keys()].sort((a, b) => {
      const [la = '', ta = ''] = a.split('\u0000');
      const [lb = '', tb = ''] = b.split('\u0000');
      return la.localeCompare(lb) || Number(ta) - Number(tb);
    });
    for (const key of keys) {
      const group = groups.get(key) as RunSummary[];
      const first = group[0] as RunSummary;
      const results = group.map((r) => {
        const base =
          baseBySeed.get(r.seed) ?? (baseBySeed.get((baselines[0] as RunSummary).seed) as CurvePoint[]);
        return tokensToTarget(curveOf(r, metric), base);
      });
      const reached = results.filter((e) => e.tokens !== null);
      rows.push({
        corpus,
        configuration: configLabel(first),
        proceduralTokens: first.proceduralTokens ?? null,
        baselineTokens: summarize(finals.map((f) => f.baselineTokens)).mean,
        targetLoss: summarize(finals.map((f) => f.targetLoss)).mean,
        tokens: reached.length
          ? summarize(
              reached.map((e) => e.tokens as number),
              options.bootstrap,
            )
          : null,
        fraction: reached.length
          ? summarize(
              reached.map((e) => e.fraction as number),
              options.bootstrap,
            )
          : null,
        reached: reached.length,
        runs: group.length,
      });
    }
  }
  return rows;
}

function tokensText(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** Markdown rendering of {@link dataEfficiencyTable}. */
export function dataEfficiencyToMarkdown(rows: readonly DataEfficiencyRow[]): string {
  const lines = [
    '### Data efficiency: semantic tokens to reach the baseline final loss',
    '',
    '| corpus | procedural data | procedural tokens | baseline tokens | tokens to target | fraction of baseline (95% CI) | reached |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const frac = r.fraction
      ? `${(100 * r.fraction.mean).toFixed(1)}% [${(100 * r.fraction.ci[0]).toFixed(1)}, ${(100 * r.fraction.ci[1]).toFixed(1)}]`
      : 'not reached';
    lines.push(
      `| ${r.corpus} | ${r.configuration} | ${r.proceduralTokens === null ? '—' : tokensText(r.proceduralTokens)} | ` +
        `${tokensText(r.baselineTokens)} | ${r.tokens ? tokensText(r.tokens.mean) : '—'} | ${frac} | ${r.reached}/${r.runs} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** CSV rendering of {@link dataEfficiencyTable}. */
export function dataEfficiencyToCsv(rows: readonly DataEfficiencyRow[]): string {
  const lines = [
    'corpus,configuration,procedural_tokens,baseline_tokens,target_loss,tokens_mean,tokens_sd,fraction_mean,fraction_sd,fraction_ci_low,fraction_ci_high,reached,runs',
  ];
  const num = (x: number | null | undefined) =>
    x === null || x === undefined || Number.isNaN(x) ? '' : String(x);
  for (const r of rows) {
    lines.push(
      [
        csvField(r.corpus),
        csvField(r.configuration),
        num(r.proceduralTokens),
        num(r.baselineTokens),
        num(r.targetLoss),
        num(r.tokens?.mean),
        num(r.tokens?.sd),
        num(r.fraction?.mean),
        num(r.fraction?.sd),
        num(r.fraction?.ci[0]),
        num(r.fraction?.ci[1]),
        r.reached,
        r.runs,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
