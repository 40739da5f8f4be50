import type { PlanBuilder } from './builder.js';

/** The `transfer-parts` experiment: a baseline, the full transfer and each part alone (attention, MLP, …), per type, task and seed. */
export function planTransferParts(b: PlanBuilder): void {
  const { transferParts, seeds } = b.preset;
  for (const task of transferParts.tasks) {
    for (const type of transferParts.types) {
      const w = b.warmup({ type }, task, 'transfer-parts');
      for (const seed of seeds) {
        b.finetune(task, seed, 'transfer-parts', { kind: 'scratch' });
        b.finetune(task, seed, 'transfer-parts', { kind: 'transfer', from: w, parts: ['everything'] });
        for (const part of transferParts.parts) {
          b.finetune(task, seed, 'transfer-parts', { kind: 'transfer', from: w, parts: [part] });
        }
      }
    }
  }
}
