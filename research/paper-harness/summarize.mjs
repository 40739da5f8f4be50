// Summarizes the issue-18 runs under DIR (see collect()): per configuration, the final haystack accuracy (the
// evaluation at the last step, on the 4,000-example test set) and the best evaluation, per seed, with the
// mean, a 95% t-interval over seeds and the number of seeds at >= 90%.
//   node research/paper-harness/summarize.mjs DIR [--markdown]
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: summarize.mjs DIR [--markdown]');
  process.exit(2);
}
// Two-sided 95% t quantiles by degrees of freedom (1..30).
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
function interval(xs) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, lo: null, hi: null };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const h = T95[Math.min(n - 1, 30) - 1] * (sd / Math.sqrt(n));
  return { mean, lo: Math.max(0, mean - h), hi: Math.min(100, mean + h) };
}

// DIR/runs/<name>/ (live run folders) or, as committed under results/, DIR/finetunes/<name>.eval.jsonl with
// DIR/configs/<name>.json.
function collect() {
  const found = [];
  const runsDir = join(dir, 'runs');
  if (existsSync(runsDir)) {
    for (const name of readdirSync(runsDir).sort()) {
      const metrics = join(runsDir, name, 'metrics.jsonl');
      const config = join(runsDir, name, 'config.resolved.json');
      if (existsSync(metrics) && existsSync(config))
        found.push({ name, metrics, steps: JSON.parse(readFileSync(config, 'utf8')).config.steps });
    }
  }
  const finetunes = join(dir, 'finetunes');
  if (existsSync(finetunes)) {
    for (const file of readdirSync(finetunes).sort()) {
      const name = file.replace(/\.eval\.jsonl$/, '');
      if (name === file || found.some((f) => f.name === name)) continue;
      const steps = JSON.parse(readFileSync(join(dir, 'configs', `${name}.json`), 'utf8')).steps;
      found.push({ name, metrics: join(finetunes, file), steps });
    }
  }
  return found;
}

const groups = new Map();
for (const { name, metrics, steps } of collect()) {
  const m = /^haystack-(.+)-s(\d+)$/.exec(name);
  if (!m) continue;
  const lines = readFileSync(metrics, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const evals = lines.filter((r) => r.kind === 'eval');
  if (evals.length === 0) continue;
  const last = evals.at(-1);
  const row = {
    seed: Number(m[2]),
    step: last.step,
    done: last.step >= steps,
    final: 100 * last.accuracy,
    best: 100 * Math.max(...evals.map((r) => r.accuracy)),
  };
  if (!groups.has(m[1])) groups.set(m[1], []);
  groups.get(m[1]).push(row);
}
const pct = (x) => (x === null ? '—' : x.toFixed(1));
const rows = [];
for (const [config, runs] of groups) {
  const done = runs.filter((r) => r.done);
  const ci = done.length > 0 ? interval(done.map((r) => r.final)) : null;
  rows.push({
    config,
    perSeed: runs
      .map((r) => `s${r.seed} ${pct(r.final)}${r.done ? '' : ` @${r.step}`} (best ${pct(r.best)})`)
      .join('; '),
    mean: ci ? `${pct(ci.mean)} [${pct(ci.lo)}, ${pct(ci.hi)}]` : '—',
    crossed: `${done.filter((r) => r.final >= 90).length}/${done.length}`,
  });
}
if (process.argv.includes('--markdown')) {
  console.log(
    '| configuration | haystack % per seed (final; best evaluation) | mean [95% CI], finished seeds | seeds ≥ 90% |',
  );
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.config} | ${r.perSeed} | ${r.mean} | ${r.crossed} |`);
} else {
  for (const r of rows)
    console.log(`${r.config}\n  ${r.perSeed}\n  mean ${r.mean}, seeds >= 90%: ${r.crossed}`);
}
