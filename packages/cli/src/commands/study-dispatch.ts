// How `procpt study plan` prints a plan's runs as commands. Light (no tfjs): `study plan --out DIR`
// without `--preset` only reads the saved plan.
import type { DispatchEntry, StudyPlan } from '@procpt/study/status';
import type { CliContext } from '../context.js';

/** `procpt study plan --json`: the saved plan's runs as commands, for a scheduler. */
export interface StudyDispatch {
  format: 'procpt.study-dispatch';
  version: 1;
  /** The study folder (absolute; every machine must see it at this path). */
  out: string;
  /** The saved plan the commands execute runs of. */
  plan: string;
  preset: string;
  experiments: string[];
  /** Number of dependency waves (the largest `wave` + 1). */
  waves: number;
  counts: { done: number; pending: number; 'blocked-by-deps': number };
  /** Every run, in dependency order. */
  runs: DispatchEntry[];
}

/** Prints the runs of `plan` as commands: one JSON object with `--json`, a table otherwise. */
export function printDispatch(ctx: CliContext, plan: StudyPlan, runs: DispatchEntry[]): void {
  const counts = { done: 0, pending: 0, 'blocked-by-deps': 0 };
  for (const r of runs) counts[r.status]++;
  const waves = runs.reduce((w, r) => Math.max(w, r.wave + 1), 0);
  const value: StudyDispatch = {
    format: 'procpt.study-dispatch',
    version: 1,
    out: plan.out,
    plan: `${plan.out}/plan.json`,
    preset: plan.preset,
    experiments: plan.experiments,
    waves,
    counts,
    runs,
  };
  ctx.result(value, () =>
    [
      `plan ${value.plan}: ${plan.experiments.join(', ')} · preset ${plan.preset} · ${runs.length} runs in ${waves} waves: ${counts.done} done, ${counts.pending} pending, ${counts['blocked-by-deps']} blocked by dependencies`,
      ...runs.map(
        (r) =>
          `  wave ${String(r.wave).padEnd(3)} ${r.status.padEnd(16)} ${r.id}${r.deps.length ? `  ← ${r.deps.join(', ')}` : ''}`,
      ),
      `run each (any order, any machine that sees ${plan.out} at this path; complete runs are skipped, blocked or busy ones refused with exit 2, or waited for with --wait):`,
      `  procpt study exec-run --out ${plan.out} --id <id> [--wait]`,
      'or start workers that drain the plan together (one per machine or GPU):',
      `  procpt study work --out ${plan.out}`,
      '--json lists every run as a command with its dependencies, wave and folder (docs/scaling.md: Slurm, GNU parallel, Kubernetes)',
    ].join('\n'),
  );
}
