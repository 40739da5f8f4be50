// Shared by the headline-row scripts: a `quick` study preset cut to reversed addition (2_4_16) at a reduced
// fine-tuning budget, with the ECA rule-110 warm-up, the command-line flags, and the run + report.
// Needs built packages: pnpm build.
const pkg = (name) => import(new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href);
const { planStudy, runStudy, workSavedPlan, writeReport, writeStudyPlan } = await pkg('study');
const { paperFinetuneBudget, studyPreset } = await pkg('paper');

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

/**
 * The `quick` preset renamed, with `args.seeds`, reversed addition at `args.steps` x `args.batch`, and ECA.
 * `args.protocol === 'paper'` instead fine-tunes at the paper's budget and harness (10,000 x 1,000, eval
 * every 50 steps on 4,000 test examples, one training stream seeded 42 for every run seed).
 */
export function reversedAdditionPreset(name, description, args) {
  const preset = studyPreset('quick');
  preset.name = name;
  preset.description = description;
  preset.seeds = args.seeds.split(',').map(Number);
  if (args.protocol === 'paper') {
    preset.finetune['reversed-addition'] = paperFinetuneBudget('reversed-addition');
    preset.finetuneStreamSeed = studyPreset('paper').finetuneStreamSeed;
  } else if (args.protocol === 'quick') {
    const steps = Number(args.steps);
    preset.finetune['reversed-addition'] = {
      steps,
      batchSize: Number(args.batch),
      evalEvery: Math.max(1, Math.floor(steps / 5)),
      testSize: 1000,
      warmupSteps: Math.min(500, Math.floor(steps / 10)),
    };
  } else {
    console.error(`unknown --protocol ${args.protocol}; use quick (with --steps, --batch) or paper`);
    process.exit(2);
  }
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

/**
 * Plans and runs `experiments` (resuming what is done), writes the report, prints `pick(reportJson)`.
 * With `args.work === 'yes'` this process is one of several workers on the same `--out` (same flags): it
 * saves the plan and executes runs no other worker holds until all are complete.
 */
export async function runAndReport(experiments, preset, args, pick) {
  const plan = planStudy(experiments, preset, args.out);
  console.error(`${plan.runs.length} runs in ${plan.out}`);
  const info = (line) => console.error(line);
  let outcome;
  if (args.work === 'yes') {
    await writeStudyPlan(plan);
    outcome = await workSavedPlan(plan.out, {
      backend: args.backend,
      onInfo: info,
      onWarn: info,
      onRun: (id) => info(`run ${id}`),
      progress: false,
    });
  } else {
    outcome = await runStudy(plan, { backend: args.backend, onInfo: info });
  }
  const { json } = await writeReport(plan.out);
  console.log(JSON.stringify({ outcome, ...pick(json) }, null, 1));
}
