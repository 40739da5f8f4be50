import { Progress } from '@procpt/core';
import { DiagnosticDataset, aggregateRunDirs, diagnosticTask, evaluateDiagnostic } from '@procpt/eval';
import { loadCheckpoint } from '@procpt/model';
import { diagnosticProtocol } from '@procpt/paper';
import { type BackendPreference, selectBackend } from '@procpt/trainer-gpu';
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';

const pct = (x: number) => (Number.isNaN(x) ? 'n/a' : `${(100 * x).toFixed(2)}%`);

/** The flags of `procpt eval diag`. */
export interface DiagFlags {
  task: string;
  checkpoint: string;
  n: number;
  seed?: number;
  batch: number;
  backend: BackendPreference;
  progress?: boolean;
}

/** The action of `procpt eval diag`. */
export async function evalDiag(ctx: CliContext, opts: DiagFlags): Promise<void> {
  const task = diagnosticTask(opts.task);
  const backend = await selectBackend(opts.backend);
  const { model, meta } = await loadCheckpoint(opts.checkpoint);
  try {
    const metaSeed = typeof meta.seed === 'number' && Number.isInteger(meta.seed) ? meta.seed : undefined;
    const seed = opts.seed ?? metaSeed ?? 0;
    const dataset = DiagnosticDataset.create({ task, seed, testSize: opts.n });
    const progress = new Progress({
      unit: 'examples',
      total: opts.n,
      label: `eval ${task.name}`,
      silent: !showProgress(ctx, opts),
    });
    const score = await evaluateDiagnostic(model, dataset, {
      batchSize: opts.batch,
      onProgress: (done) => progress.update(done),
    });
    progress.stop();
    const result = {
      checkpoint: opts.checkpoint,
      paperId: task.paperId,
      seed,
      backend: backend.name,
      ...score,
    };
    ctx.result(result, () =>
      [
        `${task.name} (${task.paperId}), ${score.examples} test examples, seed ${seed}, backend ${backend.name}`,
        `  accuracy (paper metric)   ${pct(score.accuracy)}  over ${score.scored} scored positions`,
        `  exact match (strict)      ${pct(score.exactMatch)}`,
        `  answer-token accuracy     ${pct(score.answerTokenAccuracy)}`,
        `  loss (paper mask)         ${score.loss === null ? 'n/a' : score.loss.toFixed(4)}`,
        `  scoring: ${task.scoringNote}`,
      ].join('\n'),
    );
  } finally {
    model.dispose();
  }
}

/** The flags of `procpt eval aggregate`. */
export interface AggregateFlags {
  out: string;
  metric: string;
  resamples: number;
  bootstrapSeed: number;
  force?: boolean;
}

/** The action of `procpt eval aggregate`. */
export async function evalAggregate(ctx: CliContext, runDirs: string[], opts: AggregateFlags): Promise<void> {
  const report = await aggregateRunDirs(runDirs, opts.out, {
    force: opts.force === true,
    metric: opts.metric,
    bootstrap: { resamples: opts.resamples, seed: opts.bootstrapSeed },
  });
  ctx.result({ out: opts.out, runs: report.runs, files: report.files }, () =>
    [`aggregated ${report.runs} runs into ${opts.out}:`, ...report.files.map((f) => `  ${f}`)].join('\n'),
  );
}

/** The action of `procpt eval protocol`. */
export function evalProtocol(ctx: CliContext, opts: { task: string; preset: string }): void {
  ctx.result(diagnosticProtocol(opts.task, opts.preset));
}
