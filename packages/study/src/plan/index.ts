import { resolve } from 'node:path';
import type { StudyPreset } from '@procpt/paper';
import { planAssembly } from './assembly.js';
import { PlanBuilder } from './builder.js';
import { planDiagnostics } from './diagnostics.js';
import { planMixtures } from './mixtures.js';
import { planSemantic } from './semantic.js';
import { planTransferParts } from './transfer-parts.js';
import type { ExperimentName, StudyPlan } from './types.js';

export { PlanBuilder } from './builder.js';
export { EXPERIMENTS, parseExperiments } from './types.js';
export type { ExperimentName, PlannedRun, ResultLabels, StudyPlan } from './types.js';

/**
 * The plan of `experiments` under `preset`, with run directories under `out`: warm-ups first (each shared
 * by every fine-tune that transfers from it), then the fine-tunes, deduplicated across experiments.
 */
export function planStudy(
  experiments: readonly ExperimentName[],
  preset: StudyPreset,
  out: string,
): StudyPlan {
  const b = new PlanBuilder(preset, resolve(out));
  const notes: string[] = [];
  for (const e of experiments) {
    if (e === 'diagnostics') planDiagnostics(b);
    else if (e === 'transfer-parts') planTransferParts(b);
    else if (e === 'assembly') planAssembly(b);
    else if (e === 'mixtures') planMixtures(b);
    else if (e === 'semantic') planSemantic(b);
  }
  // Warm-ups first so that a plan reads (and runs) stage by stage; dependencies still hold.
  const runs = [...b.runs.values()].sort(
    (x, y) => Number(x.stage !== 'pretrain') - Number(y.stage !== 'pretrain'),
  );
  return { preset: preset.name, experiments: [...experiments], out: b.out, runs, notes };
}
