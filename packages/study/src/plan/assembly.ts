import type { PlanBuilder } from './builder.js';

/** The `assembly` experiment: attention from one warm-up and MLPs from another, beside each alone and the baseline. */
export function planAssembly(b: PlanBuilder): void {
  const { assembly, seeds } = b.preset;
  for (const task of assembly.tasks) {
    const attn = b.warmup({ type: assembly.attn }, task, 'assembly');
    const ffn = b.warmup({ type: assembly.ffn }, task, 'assembly');
    for (const seed of seeds) {
      b.finetune(task, seed, 'assembly', { kind: 'scratch' });
      b.finetune(task, seed, 'assembly', { kind: 'transfer', from: attn, parts: ['attn'] });
      b.finetune(task, seed, 'assembly', { kind: 'transfer', from: ffn, parts: ['everything'] });
      b.finetune(task, seed, 'assembly', { kind: 'assemble', attn, ffn });
    }
  }
}
