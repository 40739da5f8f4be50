import { ProcptError, onInterrupt } from '@procpt/core';
import { RUN_RECIPES, resolveRecipe, runRecipeNames } from '@procpt/paper';
import { applySets, readConfigFile, runTraining } from '@procpt/runner';
import { type BackendPreference, benchTrain, listBackends } from '@procpt/trainer-gpu';
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';

/** The flags of `procpt train`. */
export interface TrainFlags {
  config?: string;
  recipe?: string;
  set: string[];
  backend?: BackendPreference;
  resume?: string;
  force?: boolean;
  progress: boolean;
  listRecipes?: boolean;
  gpuMemory?: number;
}

/** The action of `procpt train`. */
export async function train(ctx: CliContext, flags: TrainFlags): Promise<void> {
  if (flags.listRecipes) {
    ctx.result(
      Object.fromEntries(
        runRecipeNames().map((n) => [n, { name: RUN_RECIPES[n]!.name, steps: RUN_RECIPES[n]!.steps }]),
      ),
      () => runRecipeNames().join('\n'),
    );
    return;
  }
  if (!flags.config && !flags.recipe) {
    throw new ProcptError('usage', 'procpt train needs --config FILE.yaml or --recipe NAME', {
      hint: "procpt train --list-recipes shows the paper's run recipes",
    });
  }
  let raw: unknown = flags.config ? await readConfigFile(flags.config) : {};
  if (flags.recipe) raw = { ...(raw as object), recipe: flags.recipe };
  raw = applySets(raw, flags.set);
  // validated with the config (a positive number of MB)
  if (flags.gpuMemory !== undefined) raw = applySets(raw, [`guards.gpuMemoryMB=${flags.gpuMemory}`]);
  const config = resolveRecipe(raw, flags.config ?? `recipe ${flags.recipe}`);
  const controller = new AbortController();
  // first Ctrl-C / SIGTERM: checkpoint and stop; a second one exits at once (temp files removed, lock released)
  const stopListening = onInterrupt(() => {
    ctx.warn('interrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)');
    controller.abort();
  });
  try {
    const summary = await runTraining(config, {
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(flags.force ? { force: true } : {}),
      ...(flags.backend ? { backend: flags.backend } : {}),
      signal: controller.signal,
      progress: showProgress(ctx, flags),
      onInfo: (line) => ctx.warn(line),
      onWarn: (line) => ctx.warn(`warning: ${line}`),
    });
    const { result } = summary;
    ctx.result(
      {
        runDir: summary.runDir,
        final: summary.finalDir,
        backend: summary.backend.name,
        device: summary.backend.device,
        steps: result.state.step,
        reason: result.reason,
        tokens: result.state.tokens,
        lastEval: result.lastEval ?? null,
      },
      () =>
        `${result.reason} at step ${result.state.step}: ${summary.finalDir}` +
        (result.lastEval
          ? ` (eval loss ${result.lastEval.loss.toFixed(4)}, accuracy ${(100 * result.lastEval.accuracy).toFixed(2)}%)`
          : ''),
    );
  } finally {
    stopListening();
  }
}

/** The flags of `procpt bench train`. */
export interface BenchFlags {
  size: string;
  vocab: number;
  context: number;
  batch: number;
  steps: number;
  warmup: number;
  backend: BackendPreference;
  peakFlops?: number;
}

/** The action of `procpt backends`. */
export async function backends(ctx: CliContext): Promise<void> {
  const rows = await listBackends();
  ctx.result(rows, () =>
    rows
      .map(
        (r) =>
          `${r.name.padEnd(15)} ${r.status.padEnd(10)} ${r.package}${r.reason && r.status !== 'available' ? `: ${r.reason}` : ''}${r.detail ? `\n${' '.repeat(16)}${r.detail}` : ''}\n${' '.repeat(16)}needs: ${r.needs}`,
      )
      .join('\n'),
  );
}

/** The action of `procpt bench train`. */
export async function benchTrainCommand(ctx: CliContext, flags: BenchFlags): Promise<void> {
  const r = await benchTrain({ ...flags, ...(flags.peakFlops ? { peakFlops: flags.peakFlops } : {}) });
  const out = {
    backend: r.backend,
    tokensPerSecond: r.tokensPerSecond,
    msPerStep: r.msPerStep,
    mfu: r.mfu,
    device: r.device,
    peakFlops: r.peakFlops,
    peakSource: r.peakSource,
    bareMsPerStep: r.bareMsPerStep,
    trainerOverhead: r.trainerOverhead,
    shape: r.shape,
  };
  ctx.result(
    out,
    () =>
      `${r.backend} (${r.device}): ${r.tokensPerSecond} tokens/s, ${r.msPerStep} ms/step, MFU ${(100 * r.mfu).toFixed(1)}% of ${(r.peakFlops / 1e9).toFixed(1)} GFLOP/s (${r.peakSource}); bare model step ${r.bareMsPerStep} ms, trainer overhead ${(100 * r.trainerOverhead).toFixed(1)}%`,
  );
}
