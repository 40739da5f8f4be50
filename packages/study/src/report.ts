import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { formatCount, formatDuration, writeFileAtomic, writeJsonAtomic } from '@procpt/core';
import {
  type CurveSeries,
  type RunSummary,
  type Table,
  assemblyTable,
  barChartSvg,
  configLabel,
  isBaseline,
  learningCurvesSvg,
  proceduralTypeTable,
  tableBars,
  transferTable,
} from '@procpt/eval';
import {
  PAPER_ASSEMBLY,
  PAPER_ASSEMBLY_SOURCE,
  PAPER_DIAGNOSTICS,
  PAPER_SEMANTIC_FINAL,
  PAPER_TOKENS_TO_TARGET,
  STUDY_PRESETS,
} from '@procpt/paper';
import { type Block, renderHtml, renderMarkdown } from './render.js';
import { type StudyJson, type StudyResults, collectResults, studyJson } from './results.js';

const pct = (x: number) => (100 * x).toFixed(1);
const interval = (mean: number, ci: [number, number], n: number) =>
  `${pct(mean)} [${pct(ci[0])}, ${pct(ci[1])}] (n=${n})`;

/** Renders an eval Table as a report table; `paper(row, column)` adds the paper's value beside a cell. */
function tableBlock(
  table: Table,
  caption: string,
  paper?: (row: string, col: string) => number | undefined,
): Block {
  const rows = table.rows.map((row) => [
    row.label,
    ...row.cells.map((cell, c) => {
      const col = table.columns[c] as string;
      const p = paper?.(row.label, col);
      const repro = cell ? interval(cell.stats.mean, cell.stats.ci, cell.stats.n) : '—';
      return p === undefined ? repro : `${repro} · paper ${p.toFixed(1)}`;
    }),
  ]);
  return {
    kind: 'table',
    id: table.id,
    caption,
    header: [table.rowHeader, ...table.columns],
    rows,
    note: "Accuracy in % (the paper's metric): mean over seeds [95% bootstrap CI] (n seeds).",
  };
}

async function figure(id: string, caption: string, svg: Promise<string>): Promise<Block> {
  return { kind: 'figure', id, caption, svg: await svg };
}

function headline(json: StudyJson): Block {
  const rows: string[][] = [];
  const tasks = [...new Set(json.diagnostics.map((d) => d.task))];
  for (const task of tasks) {
    const paper = PAPER_DIAGNOSTICS[task] ?? {};
    const own = json.diagnostics.filter((d) => d.task === task);
    for (const d of own) {
      const p = paper[d.pretraining];
      rows.push([
        task,
        d.pretraining,
        interval(d.mean, d.ci, d.seeds),
        p ? p.value.toFixed(1) : '—',
        p?.source ?? '',
      ]);
    }
    const shuffled = own.filter((d) => d.pretraining.startsWith('shuffled-'));
    const best = shuffled.sort((a, b) => b.mean - a.mean)[0];
    const p = paper['best-shuffled'];
    if (best)
      rows.push([
        task,
        `best shuffled (${best.pretraining})`,
        interval(best.mean, best.ci, best.seeds),
        p ? p.value.toFixed(1) : '—',
        p?.source ?? '',
      ]);
    for (const [label, value] of Object.entries(paper)) {
      if (!own.some((d) => d.pretraining === label) && !(label === 'best-shuffled' && best)) {
        rows.push([task, label, 'not run in this preset', value.value.toFixed(1), value.source]);
      }
    }
  }
  return {
    kind: 'table',
    id: 'headline',
    caption: 'Diagnostic accuracy (%): reproduced next to the paper',
    header: ['task', 'pretraining', 'reproduced mean [95% CI] (n)', 'paper', 'paper source'],
    rows,
    note: 'The paper fine-tunes 2_4_16 models for 10,000 steps at batch 1,000; smaller presets shrink those budgets, so their numbers are not expected to match.',
  };
}

function warmupBlock(results: StudyResults): Block {
  const wall = new Map(results.records.map((r) => [r.id, r.wallMs]));
  const metricName = (m: string | undefined) =>
    m === 'closing-bracket' ? 'closing brackets' : m === 'masked-token' ? 'scored tokens' : 'n/a';
  return {
    kind: 'table',
    id: 'warmups',
    caption: "Warm-ups: each procedural model's accuracy on its own task (was the warm-up learned?)",
    header: [
      'pretraining',
      'model',
      'steps',
      'tokens',
      'own task',
      'own-task accuracy (%)',
      'eval accuracy (%)',
      'eval loss',
      'wall time',
    ],
    rows: results.warmups.map((w) => [
      w.label,
      w.size,
      String(w.steps),
      formatCount(w.tokens),
      metricName(w.ownTask?.metric) +
        (w.curriculum ? ` (curriculum reached length ${w.curriculum.reached} of ${w.curriculum.final})` : ''),
      w.ownTask && Number.isFinite(w.ownTask.accuracy) ? pct(w.ownTask.accuracy) : 'n/a',
      w.accuracy === null ? 'n/a' : pct(w.accuracy),
      w.loss === null ? 'n/a' : w.loss.toFixed(3),
      formatDuration(wall.get(w.run) ?? w.wallMs),
    ]),
    note:
      'Own-task accuracy: the final weights on 64 fresh samples (argmax, teacher-forced). For Dyck it counts only closing brackets, ' +
      'which the context determines (opening brackets are coin flips): near 100% means the bracket language was learned. ' +
      "Other types count the generator's scored tokens. Eval accuracy/loss: the trainer's last evaluation over every scored token.",
  };
}

function curves(runs: readonly RunSummary[], task: string): CurveSeries[] {
  return runs
    .filter((r) => r.task === task && r.curve && r.curve.length > 0)
    .map((r) => ({
      label: configLabel(r),
      seed: r.seed,
      points: (r.curve ?? [])
        .filter((p) => p.metrics.accuracy !== undefined)
        .map((p) => ({ x: p.step, y: 100 * (p.metrics.accuracy as number) })),
    }));
}

function semanticBlocks(json: StudyJson): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Semantic pretraining (language, code, math)' },
  ];
  if (json.semantic.length === 0) {
    blocks.push({
      kind: 'paragraph',
      text: 'No semantic runs in this study directory (the experiment needs token shards from @procpt/corpora). The paper reports:',
    });
  }
  blocks.push({
    kind: 'table',
    id: 'semantic-paper',
    caption: 'Semantic results: reproduced next to the paper',
    header: [
      'domain',
      'paper: tokens to reach baseline loss',
      'paper: final metric (none → best)',
      'reproduced ratio',
    ],
    rows: (['language', 'code', 'math'] as const).map((domain) => {
      const f = PAPER_SEMANTIC_FINAL[domain];
      const values = Object.entries(f.values);
      const best = values.filter(([k]) => k !== 'none');
      const own = json.semantic.filter((s) => s.domain === domain && s.ratio !== null);
      return [
        domain,
        `${PAPER_TOKENS_TO_TARGET[domain].value}% (${PAPER_TOKENS_TO_TARGET[domain].source})`,
        `${f.metric}: ${f.values.none} → ${best.map(([k, v]) => `${k} ${v}`).join(', ')} (${f.source})`,
        own.length ? own.map((s) => `${s.pretraining} ${pct(s.ratio as number)}%`).join(', ') : 'not run',
      ];
    }),
  });
  if (json.semantic.length > 0) blocks.push(semanticTable(json));
  return blocks;
}

function semanticTable(json: StudyJson): Block {
  const number = (x: number | null, digits: number) =>
    x === null || !Number.isFinite(x) ? '—' : x.toFixed(digits);
  return {
    kind: 'table',
    id: 'semantic',
    caption: 'Semantic runs: final validation loss and data efficiency against the seed-matched baseline',
    header: [
      'domain',
      'pretraining',
      'final loss',
      'perplexity',
      'tokens to baseline loss',
      'ratio (%)',
      'problem accuracy (%)',
      'seeds',
    ],
    rows: json.semantic.map((s) => [
      s.domain,
      s.pretraining,
      number(s.finalLoss, 3),
      number(Math.exp(s.finalLoss), 2),
      s.tokensToBaselineLoss === null ? 'not reached' : formatCount(s.tokensToBaselineLoss),
      s.ratio === null ? '—' : pct(s.ratio),
      s.problemAccuracy === null ? '—' : pct(s.problemAccuracy),
      String(s.seeds),
    ]),
    note:
      'Loss is the mean cross-entropy per scored token on held-out data (math: answer characters of interpolate problems, as the paper). ' +
      "Ratio: semantic tokens needed to reach the baseline's final loss, as a share of the baseline's (the paper's 55 / 67 / 86%).",
  };
}

async function semanticCurves(runs: readonly RunSummary[]): Promise<Block[]> {
  const blocks: Block[] = [];
  for (const domain of ['language', 'code', 'math']) {
    const series: CurveSeries[] = runs
      .filter((r) => r.kind === 'semantic' && r.task === domain && (r.curve?.length ?? 0) > 0)
      .map((r) => ({
        label: r.procedural,
        seed: r.seed,
        points: (r.curve ?? [])
          .filter((p) => typeof p.tokens === 'number' && typeof p.metrics.loss === 'number')
          .map((p) => ({ x: p.tokens as number, y: p.metrics.loss as number })),
      }));
    if (series.length === 0) continue;
    blocks.push(
      await figure(
        `semantic-${domain}`,
        `Validation loss on ${domain} during semantic pretraining`,
        learningCurvesSvg(series, {
          title: `${domain}: validation loss`,
          xLabel: 'semantic tokens',
          yLabel: 'loss (nats per scored token)',
        }),
      ),
    );
  }
  return blocks;
}

/** What the preset's numbers can and cannot show, when its definition says (shipped presets do). */
function presetNote(preset: string): Block[] {
  const note = Object.hasOwn(STUDY_PRESETS, preset) ? STUDY_PRESETS[preset]!.reportNote : undefined;
  return note ? [{ kind: 'paragraph', text: `**What these numbers can show.** ${note}` }] : [];
}

/** Builds the report's blocks from collected results. */
export async function buildReport(results: StudyResults): Promise<{ blocks: Block[]; json: StudyJson }> {
  const json = studyJson(results);
  const runs = results.runs.filter((r) => r.kind === 'diagnostic');
  const computeMs = results.records.reduce((a, r) => a + r.wallMs, 0);
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `procpt study report — preset ${json.preset}` },
    {
      kind: 'list',
      items: [
        `**preset** ${json.preset}; **experiments** ${json.experiments.join(', ')}`,
        `**seeds** ${json.seeds.join(', ') || 'none finished'}`,
        `**backend** ${json.backends.join(', ') || 'n/a'}`,
        `**wall time** ${formatDuration(json.wallMs)} over ${results.manifest.invocations.length} invocation(s) of \`procpt study run\` (runs: ${formatDuration(computeMs)})`,
        `**runs** ${results.warmups.length} warm-ups, ${runs.length} fine-tunes finished`,
      ],
    },
    ...presetNote(json.preset),
    headline(json),
  ];
  const typeRuns = runs.filter((r) => r.assembly === undefined && !r.procedural.startsWith('mix-'));
  if (typeRuns.length > 0) {
    const table = proceduralTypeTable(typeRuns, { bootstrap: { seed: 0 } });
    blocks.push({ kind: 'heading', level: 2, text: 'Diagnostics: procedural type × task' });
    blocks.push(tableBlock(table, table.title));
    blocks.push(
      await figure(
        'procedural-type',
        table.title,
        barChartSvg(tableBars(table), { title: table.title, xLabel: 'task', yLabel: 'accuracy (%)' }),
      ),
    );
    for (const task of [...new Set(typeRuns.map((r) => r.task))]) {
      const series = curves(
        typeRuns.filter((r) => r.transfer === undefined || r.transfer === 'everything'),
        task,
      );
      if (series.length > 0) {
        blocks.push(
          await figure(
            `curves-${task}`,
            `Fine-tuning curves on ${task}`,
            learningCurvesSvg(series, {
              title: `${task}: test accuracy during fine-tuning`,
              xLabel: 'step',
              yLabel: 'accuracy (%)',
            }),
          ),
        );
      }
    }
  }
  if (results.warmups.length > 0)
    blocks.push({ kind: 'heading', level: 2, text: 'Warm-ups' }, warmupBlock(results));
  const partRuns = typeRuns.filter((r) => r.transfer !== undefined && r.transfer !== 'everything');
  if (partRuns.length > 0) {
    const types = new Set(partRuns.map((r) => r.procedural));
    const tasks = new Set(partRuns.map((r) => r.task));
    const table = transferTable(
      typeRuns.filter(
        (r) => tasks.has(r.task) && (isBaseline(r) || (types.has(r.procedural) && !r.shuffled)),
      ),
      { bootstrap: { seed: 0 } },
    );
    blocks.push({ kind: 'heading', level: 2, text: 'Transferred parts' }, tableBlock(table, table.title));
  }
  const asmRuns = runs.filter((r) => r.assembly !== undefined);
  if (asmRuns.length > 0) {
    const [attn, ffn] = (asmRuns[0]?.assembly ?? '').split('+').map((s) => s.split(':')[0]);
    const tasks = new Set(asmRuns.map((r) => r.task));
    const parts = runs.filter(
      (r) =>
        tasks.has(r.task) &&
        (r.assembly !== undefined ||
          isBaseline(r) ||
          (r.procedural === attn && r.transfer === 'attn') ||
          (r.procedural === ffn && !r.shuffled && (r.transfer ?? 'everything') === 'everything')),
    );
    const table = assemblyTable(parts, { bootstrap: { seed: 0 } });
    blocks.push({ kind: 'heading', level: 2, text: 'Weight assembly' });
    blocks.push(
      tableBlock(
        table,
        `${table.title} (paper: ${PAPER_ASSEMBLY_SOURCE})`,
        (row, col) => PAPER_ASSEMBLY[row]?.[col],
      ),
    );
  }
  const mixRuns = runs.filter((r) => r.procedural.startsWith('mix-'));
  if (mixRuns.length > 0) {
    const components = new Set(results.warmups.flatMap((w) => Object.keys(w.mixture ?? {})));
    const tasks = new Set(mixRuns.map((r) => r.task));
    const table = proceduralTypeTable(
      runs.filter(
        (r) =>
          tasks.has(r.task) &&
          r.assembly === undefined &&
          (r.transfer ?? 'everything') === 'everything' &&
          !r.shuffled &&
          (isBaseline(r) || components.has(r.procedural) || r.procedural.startsWith('mix-')),
      ),
      { bootstrap: { seed: 0 } },
    );
    blocks.push({ kind: 'heading', level: 2, text: 'Mixtures of procedural types' });
    blocks.push(tableBlock(table, 'Diagnostic accuracy: mixtures vs their single types'));
  }
  blocks.push(...semanticBlocks(json), ...(await semanticCurves(results.runs)));
  return { blocks, json };
}

/**
 * Writes `report.md`, `report.html` (self-contained: inline SVG, no scripts or network), `plots/*.svg` and
 * `results.json` into the study directory `out`. Returns the machine-readable results.
 */
export async function writeReport(out: string): Promise<{ files: string[]; json: StudyJson }> {
  const results = await collectResults(out);
  const { blocks, json } = await buildReport(results);
  await mkdir(join(out, 'plots'), { recursive: true });
  const files: string[] = [];
  for (const b of blocks) {
    if (b.kind !== 'figure') continue;
    await writeFileAtomic(join(out, 'plots', `${b.id}.svg`), b.svg);
    files.push(`plots/${b.id}.svg`);
  }
  await writeFileAtomic(join(out, 'report.md'), renderMarkdown(blocks));
  await writeFileAtomic(join(out, 'report.html'), renderHtml(`procpt study report — ${json.preset}`, blocks));
  await writeJsonAtomic(join(out, 'results.json'), json);
  files.push('report.md', 'report.html', 'results.json');
  return { files, json };
}
