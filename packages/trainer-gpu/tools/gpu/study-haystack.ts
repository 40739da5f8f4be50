// The haystack fine-tune of a study preset (the scratch baseline, seed 0: no warm-up to wait for) through
// @procpt/study's planner and runner, the code `procpt study run diagnostics --preset <p>` executes, on webgpu,
// stopped at a deadline. Bundled by prepare.sh; run by run.sh with the carried Node. Prints and appends to
// $OUT/results.jsonl one line: steps done, tokens/s, wall time and the full budget's projected wall time
// (evaluations included, at the rate measured so far).
//
//   node study-haystack.mjs [--preset paper] [--seconds 180] [--out DIR] [--backend webgpu]
import { appendFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planStudy, runStudy, studyPreset } from '@procpt/study';
import * as dawn from 'webgpu';
import { readMetrics } from '../../src/metrics.js';
import { type DawnModule, installDawn } from '../../src/webgpu.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const presetName = arg('preset', 'paper');
const seconds = Number(arg('seconds', '180'));
const backend = arg('backend', 'webgpu');
const out = arg('out', mkdtempSync(join(tmpdir(), 'procpt-study-')));

async function main(): Promise<void> {
  if (backend === 'webgpu') {
    installDawn(dawn as unknown as DawnModule);
    // bundled: registered here, so selectBackend finds the backend without importing the package
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const preset = studyPreset(presetName);
  const plan = planStudy(['diagnostics'], preset, out);
  const run = plan.runs.find(
    (r) =>
      r.stage === 'finetune' &&
      r.deps.length === 0 &&
      r.id.startsWith('finetune/haystack-') &&
      r.seed === preset.seeds[0],
  );
  if (!run) throw new Error(`preset ${presetName} plans no scratch haystack fine-tune`);
  const totalSteps = Number(run.config.steps);
  console.log(
    `study ${presetName}: ${run.id}, ${totalSteps} steps of batch ${JSON.stringify((run.config.data as { batchSize: number }).batchSize)}, ${run.tokens.toLocaleString('en-US')} tokens; ${backend}, deadline ${seconds} s`,
  );
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), seconds * 1000);
  const started = performance.now();
  let status = 'completed';
  try {
    await runStudy(
      { ...plan, runs: [run] },
      {
        backend,
        signal: controller.signal,
        progress: false,
        onInfo: (l) => console.log(l),
        onWarn: (l) => console.log(l),
      },
    );
  } catch (error) {
    status = controller.signal.aborted
      ? 'stopped at the deadline'
      : `failed: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    clearTimeout(timer);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const metricsFile = join(run.dir, 'metrics.jsonl');
  const records = existsSync(metricsFile) ? await readMetrics(metricsFile) : [];
  const train = records.filter((r) => r.kind === 'train');
  const evals = records.filter((r) => r.kind === 'eval');
  const steps = train.at(-1)?.step ?? 0;
  const tokens = (train.at(-1) as { tokens?: number } | undefined)?.tokens ?? 0;
  // the rate of the whole call (model build, shader compilation and evaluations included)
  const projectedSeconds = steps > 0 ? (wallSeconds / steps) * totalSteps : Number.NaN;
  const line = {
    kind: 'study',
    preset: presetName,
    runId: run.id,
    backend,
    status,
    steps,
    totalSteps,
    evaluations: evals.length,
    lastEval: evals.at(-1) ?? null,
    wallSeconds,
    tokensPerSecond: wallSeconds > 0 ? tokens / wallSeconds : 0,
    projectedSeconds,
    at: new Date().toISOString(),
  };
  console.log(
    `study ${run.id}: ${status}, ${steps}/${totalSteps} steps in ${wallSeconds.toFixed(0)} s (${Math.round(line.tokensPerSecond).toLocaleString('en-US')} tokens/s with evaluations); full budget projected at ${(projectedSeconds / 60).toFixed(1)} min`,
  );
  if (process.env.OUT) appendFileSync(join(process.env.OUT, 'results.jsonl'), `${JSON.stringify(line)}\n`);
  if (status.startsWith('failed')) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  console.log(`study: FAILED ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}
process.exit();
