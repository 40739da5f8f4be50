// procgen benchmark: single-threaded tokens/s of every type (default, paper parameters) against the
// Python reference (bench/reference.py: numpy RandomState per sample, as the paper's generators),
// measured in the same run; then the multi-threaded .bin path (generateTokenChunks) with peak RSS.
//
//   pnpm --filter @procpt/procgen bench            (after a build)
//   node bench/bench.mjs --seconds 1 --types dyck,sort --shard-tokens 2e8
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGenerator, generateTokenChunks } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '0.6' },
    types: { type: 'string' },
    'shard-tokens': { type: 'string', default: '1e8' },
    python: { type: 'string', default: process.env.PYTHON ?? 'python3' },
  },
});
const seconds = Number(values.seconds);
const TYPES = values.types?.split(',') ?? [
  'identity',
  'reverse',
  'sort',
  'set',
  'union',
  'delete',
  'stack',
  'dyck',
  'dyck-shuffle',
  'ww',
  'eca',
  'markov',
];
const reference = fileURLToPath(new URL('./reference.py', import.meta.url));

/**
 * Tokens per CPU-second (process.cpuUsage, like Python's process_time), best of 3 bursts: on a
 * shared machine wall time mostly measures the neighbours.
 */
function measureJs(type) {
  const gen = createGenerator({ type });
  let index = 0;
  let best = 0;
  for (let burst = 0; burst < 3; burst++) {
    let tokens = 0;
    const c0 = process.cpuUsage();
    let cpu = 0;
    while (cpu < (seconds * 1e6) / 3) {
      for (let j = 0; j < 16; j++) tokens += gen.sample(index++).tokens.length;
      const c = process.cpuUsage(c0);
      cpu = c.user + c.system;
    }
    best = Math.max(best, tokens / (cpu / 1e6));
  }
  return best;
}

function measurePython(type) {
  const out = execFileSync(values.python, [reference, type, String(seconds)], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop());
  return r.tokens / r.seconds;
}

const fmt = (x) => `${(x / 1e6).toFixed(2)} M`;
console.log(
  `procgen bench: ${seconds} CPU-s per type and side, tokens per CPU-second; peer = Python reference (numpy RandomState per sample)`,
);
console.log('type           procgen tok/s   python tok/s   ratio');
const ratios = [];
for (const type of TYPES) {
  // Interleave: Python, JS, Python — the peer's number is the mean of the two runs around ours.
  const p1 = measurePython(type);
  const js = measureJs(type);
  const p2 = measurePython(type);
  const py = (p1 + p2) / 2;
  ratios.push({ type, js, py, ratio: js / py });
  console.log(
    `${type.padEnd(14)} ${fmt(js).padStart(12)}   ${fmt(py).padStart(12)}   ${(js / py).toFixed(1).padStart(5)}x`,
  );
}
const worst = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
const dyck = ratios.find((r) => r.type === 'dyck');
console.log(`lowest ratio: ${worst.type} ${worst.ratio.toFixed(1)}x (target >= 30x)`);
if (dyck) console.log(`dyck single-threaded: ${fmt(dyck.js)} tokens/s (target >= 50 M)`);

// The .bin path: every core, index-range sharding, bounded memory.
const shardTokens = Number(values['shard-tokens']);
if (shardTokens > 0) {
  for (const workers of [0, availableParallelism()]) {
    let peak = 0;
    let n = 0;
    const t0 = performance.now();
    for await (const chunk of generateTokenChunks({ type: 'dyck' }, { tokens: shardTokens, workers })) {
      n += chunk.tokens.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const dt = (performance.now() - t0) / 1000;
    console.log(
      `dyck chunks, ${workers} worker(s): ${fmt(n / dt)} tokens/s, peak RSS ${(peak / 1e6).toFixed(0)} MB; ` +
        `1e9 tokens ~ ${(1e9 / (n / dt)).toFixed(0)} s`,
    );
  }
}
