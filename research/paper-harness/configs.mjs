// Issue 18: the paper's own haystack recipe through procpt. Writes the run configs that the `paper` study
// preset plans for a warm-up type → haystack (Dyck: the dyck.py warm-up; SET: the released algorithmic.py
// settings; `everything` and attention-only transfer; the no-warm-up baseline), as `procpt train` config
// files, changing only where they run:
//   node research/paper-harness/configs.mjs --out DIR [--type dyck|set] [--experiments diagnostics,transfer-parts]
//        [--seeds 0,1,2] [--warmup PATH] [--threads 1]
// `--warmup` is the warm-up checkpoint the fine-tunes start from (default: the planned run's best/);
// `--experiments transfer-parts` writes the warm-up and that experiment's fine-tunes (none, full, attention-only).
// Needs built packages (pnpm build). Prints each config's id and file.
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const pkg = (name) => import(new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href);
const { studyPreset } = await pkg('paper');
const { planStudy } = await pkg('study');

const args = {
  out: undefined,
  type: 'dyck',
  experiments: 'diagnostics,transfer-parts',
  seeds: '0,1,2',
  warmup: undefined,
  threads: '1',
};
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i]?.replace(/^--/, '');
  if (!(key in args) || process.argv[i + 1] === undefined) {
    console.error(
      `unknown or incomplete argument ${process.argv[i]}; flags: ${Object.keys(args).join(', ')}`,
    );
    process.exit(2);
  }
  args[key] = process.argv[i + 1];
}
if (!args.out) {
  console.error('--out DIR is required');
  process.exit(2);
}
const out = resolve(args.out);

// The paper preset, cut to one type → haystack: the diagnostics row (`everything`) and the attention-only part.
const preset = studyPreset('paper');
if (!(args.type in preset.warmup)) {
  console.error(
    `unknown --type ${args.type}; the paper preset's types: ${Object.keys(preset.warmup).join(', ')}`,
  );
  process.exit(2);
}
preset.seeds = args.seeds.split(',').map(Number);
preset.diagnostics = { types: [args.type], tasks: ['haystack'], shuffled: [] };
preset.transferParts = { types: [args.type], tasks: ['haystack'], parts: ['attn'] };
const plan = planStudy(args.experiments.split(','), preset, join(out, 'study'));

await mkdir(join(out, 'configs'), { recursive: true });
for (const run of plan.runs) {
  const config = structuredClone(run.config);
  // Where it runs, not what it trains: one procpt-native thread per run, progress off, runs under out/.
  config.backend = 'procpt-native';
  config.threads = Number(args.threads);
  config.outDir = join(out, 'runs');
  config.log = { ...config.log, progress: false };
  if (run.stage === 'pretrain') config.checkpoint = { ...config.checkpoint, keep: 1_000_000 }; // the curve
  if (config.model.init?.from === 'transfer' && args.warmup) config.model.init.path = resolve(args.warmup);
  const file = join(out, 'configs', `${run.name}.json`);
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`${run.id}\t${file}`);
}
