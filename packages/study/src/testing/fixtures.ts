// Test helpers (not part of the package API): a minimal preset for end-to-end tests.
import { type StudyPreset, studyPreset } from '@procpt/paper';

/** The tiny preset cut down to seconds: one seed, haystack only, 6-step warm-ups and fine-tunes. */
export function microPreset(overrides: Partial<StudyPreset> = {}): StudyPreset {
  const p = studyPreset('tiny');
  const budget = { steps: 6, batchSize: 16, evalEvery: 3, testSize: 32, warmupSteps: 1 };
  for (const t of Object.keys(p.finetune)) p.finetune[t] = { ...budget };
  for (const recipe of Object.values(p.warmup)) Object.assign(recipe, { steps: 6, batchSize: 8 });
  return {
    ...p,
    seeds: [0],
    diagnostics: { types: ['dyck'], tasks: ['haystack'], shuffled: [] },
    assembly: { attn: 'set', ffn: 'eca', tasks: ['haystack'] },
    checkpointEvery: 3,
    ...overrides,
  };
}
