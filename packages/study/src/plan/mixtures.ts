import type { PlanBuilder } from './builder.js';

/** The `mixtures` experiment: warm-ups on mixtures of types beside each type alone and the baseline. */
export function planMixtures(b: PlanBuilder): void {
  const { mixtures, seeds } = b.preset;
  for (const task of mixtures.tasks) {
    const singles = new Set(mixtures.mixtures.flatMap((m) => Object.keys(m.components)));
    const warmups = [
      ...[...singles].map((type) => b.warmup({ type }, task, 'mixtures')),
      ...mixtures.mixtures.map((m) => b.warmup({ type: 'mixture', mixture: m }, task, 'mixtures')),
    ];
    for (const seed of seeds) {
      b.finetune(task, seed, 'mixtures', { kind: 'scratch' });
      for (const w of warmups)
        b.finetune(task, seed, 'mixtures', { kind: 'transfer', from: w, parts: ['everything'] });
    }
  }
}
