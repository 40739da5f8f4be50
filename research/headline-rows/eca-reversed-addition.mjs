#!/usr/bin/env node
// Issue 10's second headline row, run by procpt itself through the study app: ECA (rule 110) warm-up →
// reversed addition (paper: 76.4% without warm-up → 91.0% with ECA, full-model transfer; shuffled ECA
// 65.0%). A study preset cut to that row: the ECA warm-up and its shuffled control at the task's 2_4_16 shape,
// full transfer (and with `--experiments diagnostics,transfer-parts` attention-only / MLP-only), 3 seeds, a
// reduced fine-tuning budget. Writes a study directory with report.md / report.html / results.json (warm-up
// own-task accuracy included).
//
//   node research/headline-rows/eca-reversed-addition.mjs [--out runs/headline-eca] [--steps 1500] [--batch 200]
//        [--seeds 0,1,2] [--backend auto] [--experiments diagnostics,transfer-parts] [--shuffled eca|none]
//        [--protocol quick|paper] [--work yes]
// `--protocol paper`: the paper's fine-tuning budget and harness (10,000 x 1,000, one training stream);
// `--work yes`: one of several workers sharing `--out` (start the same command again to add a worker).
// Needs built packages: pnpm build.
import { parseArgs, reversedAdditionPreset, runAndReport } from './reversed-addition-row.mjs';

const args = parseArgs({
  out: 'runs/headline-eca',
  steps: 1500,
  batch: 200,
  seeds: '0,1,2',
  backend: 'auto',
  experiments: 'diagnostics',
  shuffled: 'eca',
  protocol: 'quick',
  work: 'no',
});
const preset = reversedAdditionPreset(
  'headline-eca-reversed-addition',
  'issue 10: ECA warm-up -> reversed addition at a reduced budget',
  args,
);
preset.diagnostics = {
  types: ['eca'],
  tasks: ['reversed-addition'],
  shuffled: args.shuffled === 'none' ? [] : args.shuffled.split(','),
};
preset.transferParts = { types: ['eca'], tasks: ['reversed-addition'], parts: ['attn', 'ffn'] };
await runAndReport(args.experiments.split(','), preset, args, (json) => ({
  diagnostics: json.diagnostics,
  transferParts: json.transferParts,
  warmups: json.warmups,
}));
