import type { ProceduralSource } from '../procedural.js';
import type { PlanBuilder } from './builder.js';

/**
 * The `diagnostics` experiment: per task and seed, a baseline and a transfer from every type and shuffled
 * control of the task — the paper's `everything`, or the transfer a searched recipe was found with.
 */
export function planDiagnostics(b: PlanBuilder): void {
  const { diagnostics, seeds } = b.preset;
  for (const task of diagnostics.tasks) {
    const rows = diagnostics.byTask?.[task] ?? diagnostics;
    const sources: ProceduralSource[] = [
      ...rows.types.map((type) => ({ type })),
      ...rows.shuffled.map((type) => ({ type, shuffled: true })),
    ];
    const warmups = sources.map((s) => b.warmup(s, task, 'diagnostics'));
    for (const seed of seeds) {
      b.finetune(task, seed, 'diagnostics', { kind: 'scratch' });
      for (const w of warmups) {
        const parts = w.warmup!.transfer ?? ['everything'];
        b.finetune(task, seed, 'diagnostics', { kind: 'transfer', from: w, parts });
      }
    }
  }
}
