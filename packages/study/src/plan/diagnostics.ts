import type { ProceduralSource } from '../procedural.js';
import type { PlanBuilder } from './builder.js';

/** The `diagnostics` experiment: per task and seed, a baseline and a full transfer from every type and shuffled control. */
export function planDiagnostics(b: PlanBuilder): void {
  const { diagnostics, seeds } = b.preset;
  for (const task of diagnostics.tasks) {
    const sources: ProceduralSource[] = [
      ...diagnostics.types.map((type) => ({ type })),
      ...diagnostics.shuffled.map((type) => ({ type, shuffled: true })),
    ];
    const warmups = sources.map((s) => b.warmup(s, task, 'diagnostics'));
    for (const seed of seeds) {
      b.finetune(task, seed, 'diagnostics', { kind: 'scratch' });
      for (const w of warmups)
        b.finetune(task, seed, 'diagnostics', { kind: 'transfer', from: w, parts: ['everything'] });
    }
  }
}
