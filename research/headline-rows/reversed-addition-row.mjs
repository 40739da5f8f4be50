// Shared by the headline-row scripts: a `quick` study preset cut to reversed addition (2_4_16) at a reduced
// fine-tuning budget, with the ECA rule-110 warm-up, the command-line flags, and the run + report.
// Needs built packages: pnpm build.
const pkg = (name) => import(new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href);
const { planStudy, runStudy, writeReport } = await pkg('study');
const { studyPreset } = await pkg('paper');

/** `--key value` pairs over `defaults`; an unknown or valueless flag exits with status 2. */
export function parseArgs(defaults) {
  const args = { ...defaults };
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
  return args;
}

/** The `quick` preset renamed, with `args.seeds`, reversed addition at `args.steps` x `args.batch`, and ECA. */
export function reversedAdditionPreset(name, description, args) {
  const preset = studyPreset('quick');
  preset.name = name;
  preset.description = description;
  preset.seeds = args.seeds.split(',').map(Number);
  const steps = Number(args.steps);
  preset.finetune['reversed-addition'] = {
    steps,
    batchSize: Number(args.batch),
    evalEvery: Math.max(1, Math.floor(steps / 5)),
    testSize: 1000,
    warmupSteps: Math.min(500, Math.floor(steps / 10)),
  };
  // Rule 110 rows of 32 cells, 4 rows per sample; trained until the rule is learned (see the report's
  // own-task accuracy), with the settings that master Dyck at this size (lr 3e-3, dropout 0, wd 0.01).
  preset.warmup.eca = {
    params: { rule: 110, width: 32, rows: 4 },
    steps: 2000,
    batchSize: 64,
    lr: 3e-3,
    weightDecay: 0.01,
    dropout: 0,
  };
  return preset;
}

/** Plans and runs `experiments` (resuming what is done), writes the report, prints `pick(reportJson)`. */
export async function runAndReport(experiments, preset, args, pick) {
  const plan = planStudy(experiments, preset, args.out);
  console.error(`${plan.runs.length} runs in ${plan.out}`);
  const outcome = await runStudy(plan, { backend: args.backend, onInfo: (line) => console.error(line) });
  const { json } = await writeReport(plan.out);
  console.log(JSON.stringify({ outcome, ...pick(json) }, null, 1));
}
