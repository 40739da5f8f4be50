#!/usr/bin/env node
// Warm-up recipe search for the needle-in-a-haystack diagnostic, run by procpt's own training (issue 10):
// procedural warm-up (procgen via trainer-gpu) → the warm-up's own task accuracy (eval's warmupAccuracy:
// Dyck closing-bracket accuracy) → the paper's transfer (model) → haystack fine-tune (trainer-gpu,
// diagnostic data) → haystack accuracy (eval's evaluateDiagnostic). One JSON line per recipe × seed on stdout.
//
//   node research/haystack-search/search.mjs recipes.json --out runs/haystack-search [--backend procpt-native]
//
// recipes.json: {"budget": {...}, "seeds": [0, 1], "recipes": [{...}, ...]}; see README.md for the fields.
// Needs built packages (model, procgen, eval, trainer-gpu): flock /tmp/procpt-build.lock pnpm --filter ... build
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const pkg = (name) => import(new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href);
const { ProcptError } = await pkg('core');
const { createGenerator, stream } = await pkg('procgen');
const { DiagnosticDataset, evaluateDiagnostic, warmupAccuracy } = await pkg('eval');
const { loadCheckpoint } = await pkg('model');
const { readMetrics } = await pkg('trainer-gpu');
const { runTraining } = await pkg('runner');
const { resolveRecipe } = await pkg('paper');

function parseArgs(argv) {
  const args = {
    file: undefined,
    out: 'runs/haystack-search',
    backend: 'auto',
    only: undefined,
    threads: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--out') args.out = argv[++i];
    else if (a === '--backend') args.backend = argv[++i];
    else if (a === '--only') args.only = argv[++i];
    else if (a === '--threads') args.threads = Number(argv[++i]);
    else if (!args.file && !a.startsWith('--')) args.file = a;
    else
      throw new ProcptError('usage', `unknown argument ${a}`, {
        hint: 'search.mjs recipes.json [--out DIR] [--backend NAME] [--threads N] [--only NAME]',
      });
  }
  if (!args.file) throw new ProcptError('usage', 'missing recipes file', { hint: 'search.mjs recipes.json' });
  return args;
}

/** The paper's haystack protocol at a reduced budget (lr 1e-3, cosine, wd 0.001, untied, dropout 0). */
function finetuneConfig(name, out, seed, budget, init) {
  return {
    recipe: 'diagnostic/haystack',
    name,
    seed,
    steps: budget.steps,
    outDir: out,
    model: { size: '2_4_16', ...(init ? { init } : {}) },
    data: {
      train: { kind: 'diagnostic', task: 'haystack' },
      eval: { kind: 'diagnostic', task: 'haystack', testSize: budget.testSize },
      batchSize: budget.batchSize,
    },
    schedule: { kind: 'cosine', warmupSteps: budget.warmupSteps, minLrRatio: 0, floor: 'scale' },
    eval: { every: budget.steps, batches: 1, patience: 0, metric: 'accuracy' },
    checkpoint: { every: budget.steps, keep: 1 },
    log: { progress: false },
  };
}

/** A warm-up run: paper §4.1 defaults (tied, AdamW, clip 1, constant LR) unless the recipe overrides. */
function warmupConfig(name, out, seed, r) {
  return {
    name,
    seed,
    steps: r.steps,
    outDir: out,
    model: { size: '2_4_16', nPositions: r.nPositions, tied: r.tied ?? true, dropout: r.dropout ?? 0.1 },
    data: {
      train: {
        kind: 'procgen',
        type: r.type,
        params: r.params,
        packing: 'pad',
        ...(r.curriculum ? { curriculum: r.curriculum } : {}),
      },
      batchSize: r.batchSize,
    },
    optimizer: { lr: r.lr, weightDecay: r.weightDecay ?? 0.1, gradClip: 1 },
    schedule: { kind: 'constant', warmupSteps: r.warmupSteps ?? 0 },
    checkpoint: { every: r.steps, keep: 1 },
    log: { progress: false },
  };
}

async function scoreWarmup(dir, r) {
  const { model } = await loadCheckpoint(join(dir, 'final'));
  try {
    // a fixed evaluation seed, apart from any training seed
    const gen = createGenerator({ type: r.type, seed: 999_983, ...r.params });
    const samples = [...stream(gen, { count: 64 })];
    return await warmupAccuracy(model, samples, { type: r.type, params: r.params, padId: gen.padId ?? 0 });
  } finally {
    model.dispose();
  }
}

/** The length a curriculum warm-up trained at last (its last check's `next`). */
async function curriculumReached(dir, r) {
  const records = await readMetrics(join(dir, 'metrics.jsonl'));
  return records.filter((x) => x.kind === 'curriculum').at(-1)?.next ?? r.curriculum.start ?? 2;
}

async function scoreHaystack(dir, seed, testSize) {
  const { model } = await loadCheckpoint(join(dir, 'final'));
  try {
    const data = DiagnosticDataset.create({ task: 'haystack', seed, testSize });
    return (await evaluateDiagnostic(model, data)).accuracy;
  } finally {
    model.dispose();
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const spec = JSON.parse(await readFile(args.file, 'utf8'));
  const out = resolve(args.out);
  const budget = { steps: 1000, batchSize: 250, warmupSteps: 100, testSize: 2000, ...spec.budget };
  const seeds = spec.seeds ?? [0, 1];
  const run = async (config) => {
    if (args.threads) config.threads = args.threads;
    const t0 = performance.now();
    await runTraining(resolveRecipe(config, `haystack-search ${config.name}`), {
      backend: args.backend,
      progress: false,
    });
    return Math.round((performance.now() - t0) / 1000);
  };
  for (const r of spec.recipes) {
    if (args.only && r.name !== args.only) continue;
    for (const seed of seeds) {
      const line = { recipe: r.name, budget: `${budget.steps}x${budget.batchSize}`, seed };
      let init;
      if (r.type !== 'none') {
        const wname = `warmup-${r.name}-s${seed}`;
        line.warmupSeconds = await run(warmupConfig(wname, join(out, 'warmup'), seed, r));
        const acc = await scoreWarmup(join(out, 'warmup', wname), r);
        line.warmupMetric = acc.metric;
        line.warmupAccuracy = acc.accuracy;
        if (r.curriculum) line.curriculumReached = await curriculumReached(join(out, 'warmup', wname), r);
        init = {
          from: 'transfer',
          path: join(out, 'warmup', wname, 'final'),
          parts: r.transfer?.parts ?? ['attn'],
          embeddingInit: r.transfer?.embeddingInit ?? 'random',
        };
      }
      const fname = `haystack-${r.name}-s${seed}`;
      line.finetuneSeconds = await run(finetuneConfig(fname, join(out, 'finetune'), seed, budget, init));
      line.haystackAccuracy = await scoreHaystack(join(out, 'finetune', fname), seed, budget.testSize);
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`search.mjs: ${error?.message ?? error}\n`);
  if (error?.hint) process.stderr.write(`hint: ${error.hint}\n`);
  process.exitCode = error?.exitCode ?? 1;
});
