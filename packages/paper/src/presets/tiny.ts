import { type StudyPreset, recipes } from '../preset-types.js';

/** The whole study end to end in minutes on 2 CPU cores: a first look, not a result. */
export const TINY: StudyPreset = {
  name: 'tiny',
  description: 'the whole study end to end in minutes on 2 CPU cores: a first look, not a result',
  seeds: [0, 1],
  warmupSeed: 42,
  diagnostics: {
    types: ['dyck', 'set', 'eca'],
    tasks: ['haystack', 'reversed-addition'],
    shuffled: ['dyck'],
  },
  finetune: {
    haystack: { steps: 60, batchSize: 32, evalEvery: 20, testSize: 256, warmupSteps: 6 },
    'reversed-addition': { steps: 60, batchSize: 32, evalEvery: 20, testSize: 256, warmupSteps: 6 },
    addition: { steps: 60, batchSize: 32, evalEvery: 20, testSize: 256, warmupSteps: 6 },
    sort: { steps: 60, batchSize: 32, evalEvery: 20, testSize: 256, warmupSteps: 6 },
  },
  warmup: recipes(
    { vocabSize: 16, length: 16, steps: 60, batchSize: 32, lr: 1e-3 },
    { k: 8, length: 64, steps: 60, batchSize: 16, lr: 1e-3 },
  ),
  transferParts: { types: ['dyck'], tasks: ['haystack'], parts: ['attn', 'ffn'] },
  assembly: { attn: 'set', ffn: 'eca', tasks: ['haystack', 'reversed-addition'] },
  mixtures: {
    mixtures: [{ name: 'set50-union50', components: { set: 0.5, union: 0.5 } }],
    tasks: ['haystack'],
  },
  semantic: {
    domains: ['language', 'code', 'math'],
    types: ['union'],
    size: '2_4_32',
    steps: 20,
    batchSize: 4,
    accumulation: 1,
    length: 65,
    lr: 2e-3,
    evalEvery: 5,
    evalBatches: 1,
    proceduralFraction: 0.003,
    mathPerModule: 30,
    maxDocuments: 120,
  },
  checkpointEvery: 20,
};
