#!/usr/bin/env node
// Issue 10's assembly row, run by procpt itself through the study app: SET attention + ECA MLP composed into
// one 2_4_16 model, on reversed addition (paper: none 76.4%, SET attention-only 54.4%, ECA full transfer
// 91.0%, SET attn + ECA MLP 82.9%; averaged over four tasks the assembly is the best, 89.3). The study's
// `assembly` experiment fine-tunes four models per seed: from scratch, SET attention-only, ECA full, and the
// assembly. 2 seeds, a reduced fine-tuning budget. Writes a study directory with report.md / report.html /
// results.json (warm-up own-task accuracy included).
//
//   node research/headline-rows/set-eca-assembly.mjs [--out runs/headline-assembly] [--steps 1500] [--batch 200]
//        [--seeds 0,1] [--backend auto]
// Needs built packages: pnpm build.
import { parseArgs, reversedAdditionPreset, runAndReport } from './reversed-addition-row.mjs';

const args = parseArgs({
  out: 'runs/headline-assembly',
  steps: 1500,
  batch: 200,
  seeds: '0,1',
  backend: 'auto',
});
const preset = reversedAdditionPreset(
  'headline-set-eca-assembly',
  'issue 10: SET attention + ECA MLP -> reversed addition at a reduced budget',
  args,
);
preset.assembly = { attn: 'set', ffn: 'eca', tasks: ['reversed-addition'] };
// SET at V = 100, L = 16: a length the 2_4_16 model learns (not the paper's L = 64, see
// research/notes/haystack-search.md), with the same training settings as the ECA warm-up.
preset.warmup.set = {
  params: { vocabSize: 100, length: 16 },
  steps: 3000,
  batchSize: 64,
  lr: 3e-3,
  weightDecay: 0.01,
  dropout: 0,
};
await runAndReport(['assembly'], preset, args, (json) => ({
  assembly: json.assembly,
  warmups: json.warmups,
}));
