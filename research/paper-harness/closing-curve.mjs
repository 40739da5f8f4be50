// The closing-bracket accuracy curve of a Dyck warm-up run: every `--every`-th kept checkpoint is scored
// on 640 fresh Dyck sequences (never trained on: generator seed + 20,000, as the study scores warm-ups)
// with @procpt/eval's warmupAccuracy, beside the trainer's own validation accuracy over all tokens.
//   node research/paper-harness/closing-curve.mjs RUN_DIR [--every 10] [--out curve.jsonl]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = (name) => import(new URL(`../../packages/${name}/dist/index.js`, import.meta.url).href);
const { warmupAccuracy } = await pkg('eval');
const { loadCheckpoint } = await pkg('model');
const { createGenerator } = await pkg('procgen');
const { selectBackend } = await pkg('trainer-gpu');

const runDir = process.argv[2];
const flag = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
if (!runDir) {
  console.error('usage: closing-curve.mjs RUN_DIR [--every 10] [--out curve.jsonl]');
  process.exit(2);
}
const every = Number(flag('every', '10'));
const out = flag('out', undefined);
await selectBackend('procpt-native');

const resolved = JSON.parse(readFileSync(join(runDir, 'config.resolved.json'), 'utf8')).config;
const train = resolved.data.train;
const gen = createGenerator({ ...train.params, type: train.type, seed: resolved.seed + 20_000 });
const samples = Array.from({ length: 640 }, (_, i) => gen.sample(i));
const validation = new Map(
  readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.kind === 'eval')
    .map((r) => [r.step, r.accuracy]),
);
const checkpoints = readdirSync(join(runDir, 'checkpoints'))
  .filter((n) => /^step-\d+$/.test(n))
  .sort();
const rows = [];
for (const [i, name] of checkpoints.entries()) {
  if (i % every !== 0 && i !== checkpoints.length - 1) continue;
  const step = Number(name.slice(5));
  const { model } = await loadCheckpoint(join(runDir, 'checkpoints', name));
  const score = await warmupAccuracy(model, samples, {
    type: gen.type,
    params: gen.params,
    padId: gen.padId,
  });
  model.dispose();
  const row = { step, closingBracket: score.accuracy, validationAllTokens: validation.get(step) ?? null };
  rows.push(row);
  console.log(JSON.stringify(row));
}
if (out) writeFileSync(out, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
