#!/usr/bin/env node
// `pnpm bench` for @procpt/trainer-gpu (issue #9): one table of full training steps (Trainer: batching, forward,
// backward, clipping, AdamW) at three shapes — the haystack shape, 2_4_128 and GPT-2 small — next to the
// PyTorch CPU peer (tools/torch_bench.py: the same GPT-2, AdamW + clipping, same synthetic data) at 1 and 2
// threads. Ratios are against the better PyTorch thread count of the same run; procpt and PyTorch runs are
// interleaved (torch 1t, procpt 1t, torch 2t, procpt 2t, other backends) so machine load hits both, and every
// run is its own child process. MFU = model FLOPs per token (6·N + 12·L·d·T, see trainingFlopsPerToken in
// src/bench.ts) × tokens/s over the machine's measured FP32 peak (@procpt/backend-native measurePeakFlops).
// Needs a build (dist/ of this package and of backend-native).
//
// Env: BENCH_SHAPES=haystack,small,gpt2   BENCH_BACKENDS=procpt-native,wasm,cpu (cpu and software-adapter webgpu
// are opt-in: minutes per step)   BENCH_THREADS=1,2   PYTHON (a python3 with torch; default python3)
// BENCH_TIMEOUT_S=300 (per child run). The PyTorch peer runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which
// force OpenBLAS's kernels for another core type (see tools/torch-reference); the table names the kernels it used.
// Flags: --json (print one JSON document instead of the table), --markdown (a Markdown table),
// --table FILE (re-print a saved --json document; runs nothing)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const SHAPES = {
  haystack: {
    size: '2_4_16',
    vocab: 256,
    context: 63,
    batch: 1000,
    target: 1.0,
    runs: { torch: [4, 1], 'procpt-native': [3, 1], wasm: [1, 1], other: [3, 1] }, // [timed steps, warm-up]
  },
  small: {
    size: '2_4_128',
    vocab: 64,
    context: 128,
    batch: 16,
    target: 1.0,
    runs: { torch: [10, 2], 'procpt-native': [10, 2], wasm: [4, 1], cpu: [1, 0], other: [10, 2] },
  },
  // GPT-2 small: seconds per step here, so 2 timed steps after 1 warm-up and no bare-step comparison.
  gpt2: {
    size: '12_12_768',
    vocab: 50257,
    context: 128,
    batch: 8,
    target: 0.7,
    bare: false,
    runs: { torch: [2, 1], 'procpt-native': [2, 1], other: [2, 1] },
  },
};
const self = fileURLToPath(import.meta.url);
const python = process.env.PYTHON ?? 'python3';
const torchScript = fileURLToPath(new URL('./torch_bench.py', import.meta.url));
const timeout = 1000 * Number(process.env.BENCH_TIMEOUT_S ?? 300);

if (process.argv[2] === '--one') {
  // child: one procpt run, the spec as JSON in argv[3]
  const spec = JSON.parse(process.argv[3]);
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  const { benchTrain } = await import('../dist/index.js');
  const r = await benchTrain(spec);
  process.stdout.write(`${JSON.stringify({ ...r, report: { threads: r.report.threads } })}\n`);
  process.exit(0);
}

const json = process.argv.includes('--json');
const markdown = process.argv.includes('--markdown');
const log = (line) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const tableFile = process.argv[process.argv.indexOf('--table') + 1];
if (process.argv.includes('--table')) {
  if (!tableFile) {
    process.stderr.write('bench-train: --table needs the path of a document written by --json\n');
    process.exit(2);
  }
  // re-print a saved --json document (e.g. as --markdown for docs/performance.md) without running anything
  printTable(JSON.parse(readFileSync(tableFile, 'utf8')), log, markdown);
  process.exit(0);
}
const listEnv = (name) => process.env[name]?.split(',').filter(Boolean);
const shapeNames = listEnv('BENCH_SHAPES') ?? Object.keys(SHAPES);
for (const s of shapeNames)
  if (!SHAPES[s]) throw new Error(`BENCH_SHAPES: unknown shape ${s} (${Object.keys(SHAPES)})`);
const threadCounts = (listEnv('BENCH_THREADS') ?? ['1', '2'])
  .map(Number)
  .filter((t) => t <= availableParallelism());
const wanted = listEnv('BENCH_BACKENDS');

const { listBackends } = await import('../dist/index.js');
const probed = (await listBackends({ probe: true })).filter((b) => b.status === 'available');
/**
 * procpt backends worth running at a shape: native always, wasm on the small shapes, cpu only when asked for,
 * GPU backends (tensorflow-gpu, webgpu) everywhere unless they run on a software adapter, i.e. on these same
 * CPU cores (then only when BENCH_BACKENDS names them).
 */
function backendsFor(shape) {
  return probed
    .filter((b) => {
      const own =
        b.name === 'wasm' || b.name === 'cpu' ? shape.runs[b.name] : (shape.runs[b.name] ?? shape.runs.other);
      if (b.name !== 'procpt-native' && !own) return false; // e.g. wasm at GPT-2 small: beyond its 4 GiB heap
      if (wanted) return wanted.includes(b.name);
      return b.name !== 'cpu' && !/software/i.test(b.detail ?? '');
    })
    .map((b) => b.name);
}

function lastJsonLine(out) {
  return JSON.parse(out.trim().split('\n').at(-1));
}
/** This process's environment plus `env`, less the variables that force OpenBLAS's kernels for another core. */
function childEnv(env) {
  const out = { ...process.env, ...env };
  delete out.OPENBLAS_CORETYPE;
  delete out.OPENBLAS_L2_SIZE;
  return out;
}
function child(file, args, env = {}) {
  return lastJsonLine(
    execFileSync(file, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', json ? 'pipe' : 'inherit'],
      env: childEnv(env),
      timeout,
      maxBuffer: 1 << 24,
    }),
  );
}

// --- peaks: the machine's FP32 FMA peak (native addon) and what OpenBLAS sgemm reaches via PyTorch
const peaks = { fma: {}, torchSgemm: {} };
try {
  const { measurePeakFlops } = await import('@procpt/backend-native');
  for (const t of [1, availableParallelism()]) {
    const p = measurePeakFlops({ threads: t, milliseconds: 300 });
    peaks.fma[t] = p.flops;
    peaks.lanes = p.lanes;
  }
} catch (error) {
  log(`FMA peak not measured (${error.message}); MFU is left out`);
}
for (const t of threadCounts) {
  try {
    const r = child(python, [torchScript, '--sgemm', '2048', String(t)]);
    peaks.torchSgemm[t] = r.flops;
    peaks.torchBlas = { blas: r.blas, blasCore: r.blasCore, cpuCapability: r.cpuCapability };
  } catch (error) {
    log(`PyTorch sgemm reference (${t} thread(s)) failed: ${error.message.split('\n')[0]}`);
  }
}
const machinePeak = peaks.fma[availableParallelism()];

// --- runs, interleaved per shape
const loadBefore = loadavg();
const started = Date.now();
const results = [];
for (const name of shapeNames) {
  const shape = SHAPES[name];
  const base = { size: shape.size, vocab: shape.vocab, context: shape.context, batch: shape.batch };
  const backends = backendsFor(shape);
  const jobs = [];
  for (const threads of threadCounts) {
    jobs.push({ engine: 'pytorch', threads });
    if (backends.includes('procpt-native')) jobs.push({ engine: 'procpt-native', threads });
  }
  for (const b of backends) if (b !== 'procpt-native') jobs.push({ engine: b, threads: undefined });
  for (const job of jobs) {
    const [steps, warmup] = shape.runs[job.engine === 'pytorch' ? 'torch' : job.engine] ?? shape.runs.other;
    const row = { shape: name, ...base, engine: job.engine, threads: job.threads, steps, warmup };
    try {
      if (job.engine === 'pytorch') {
        const args = [shape.size, shape.vocab, shape.context, shape.batch, steps, warmup, job.threads];
        const r = child(python, [torchScript, ...args.map(String)]);
        Object.assign(row, { tokensPerSecond: r.tokensPerSecond, msPerStep: r.msPerStep, loss: r.loss });
      } else {
        const spec = { ...base, steps, warmup, backend: job.engine, bare: shape.bare ?? true };
        if (job.threads) spec.threads = job.threads;
        if (machinePeak) spec.peakFlops = machinePeak;
        const env = job.threads ? { PROCPT_NATIVE_THREADS: String(job.threads) } : {};
        const r = child(process.execPath, [self, '--one', JSON.stringify(spec)], env);
        Object.assign(row, {
          threads: r.report.threads ?? job.threads,
          tokensPerSecond: r.tokensPerSecond,
          msPerStep: r.msPerStep,
          loss: r.loss,
          flopsPerToken: r.flopsPerToken,
          trainerOverhead: Number.isFinite(r.trainerOverhead) ? r.trainerOverhead : undefined,
        });
      }
    } catch (error) {
      // the child's last stderr line says why (it is captured, not shown, with --json)
      const why = String(error.stderr ?? '')
        .trim()
        .split('\n')
        .at(-1);
      row.error = why || error.message.split('\n')[0];
      log(`${name} ${job.engine} ${job.threads ?? ''}: failed (${row.error})`);
    }
    results.push(row);
  }
}
const loadAfter = loadavg();

// --- derived columns: ratio to the better PyTorch thread count of the same shape, target, MFU
const flopsPerToken = {};
for (const r of results) if (r.flopsPerToken) flopsPerToken[r.shape] = r.flopsPerToken;
for (const name of shapeNames) {
  const rows = results.filter((r) => r.shape === name && r.tokensPerSecond);
  const best = Math.max(0, ...rows.filter((r) => r.engine === 'pytorch').map((r) => r.tokensPerSecond));
  for (const r of rows) {
    if (best) r.vsPytorch = Number((r.tokensPerSecond / best).toFixed(3));
    if (best && r.engine !== 'pytorch') r.targetMet = r.vsPytorch >= SHAPES[name].target;
    const f = flopsPerToken[name];
    if (f && machinePeak) r.mfu = Number(((f * r.tokensPerSecond) / machinePeak).toFixed(4));
    const own = peaks.fma[r.threads ?? 1];
    if (f && own) r.mfuOwnThreads = Number(((f * r.tokensPerSecond) / own).toFixed(4));
  }
}

const machine = { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version };
const doc = {
  date: new Date(started).toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  machine,
  loadBefore,
  loadAfter,
  peaks,
  results,
};
if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
else printTable(doc, log, markdown);

/** Prints a results document as a fixed-width table, or as a Markdown table with `markdown`. */
function printTable(doc, out, markdown) {
  const { machine, peaks, loadBefore, loadAfter, results } = doc;
  const machinePeak = peaks.fma[machine.cores];
  const g = (x) => (x ? `${(x / 1e9).toFixed(1)} GFLOP/s` : 'n/a');
  const l = (a) => a.map((x) => x.toFixed(2)).join(' ');
  out(
    `${doc.date}: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; load average (1/5/15 min) before ${l(loadBefore)}, after ${l(loadAfter)}; ${doc.seconds ?? '?'} s`,
  );
  const sgemm = Object.entries(peaks.torchSgemm).map(([t, f]) => `${t}t ${g(f)}`);
  const blas = peaks.torchBlas?.blasCore
    ? ` (kernels ${peaks.torchBlas.blasCore}, ATen ${peaks.torchBlas.cpuCapability})`
    : '';
  out(
    `FP32 peak (FMA chains, ${peaks.lanes ?? '?'} lanes): 1 thread ${g(peaks.fma[1])}, ${machine.cores} threads ${g(machinePeak)}; PyTorch/OpenBLAS sgemm 2048²: ${sgemm.join(', ')}${blas}`,
  );
  out('');
  const head = [
    'shape',
    'engine',
    'threads',
    'steps',
    'tokens/s',
    'ms/step',
    'vs PyTorch',
    'target',
    'MFU',
    'MFU/thr',
    'loss',
  ];
  const w = [22, 14, 7, 6, 10, 10, 11, 12, 7, 8, 7];
  const fmt = markdown
    ? (cells) => `| ${cells.join(' | ')} |`
    : (cells) => cells.map((c, i) => String(c).padStart(w[i])).join(' ');
  out(fmt(head));
  if (markdown) out(fmt(head.map((_, i) => (i < 2 ? '---' : '---:'))));
  for (const r of results) {
    const pct = (x) => (x === undefined ? '' : `${(100 * x).toFixed(1)}%`);
    const target =
      r.targetMet === undefined ? '' : `≥${SHAPES[r.shape].target.toFixed(1)}× ${r.targetMet ? 'yes' : 'no'}`;
    out(
      fmt([
        `${r.size} T${r.context} B${r.batch}`,
        r.engine,
        r.threads ?? '',
        `${r.warmup}+${r.steps}`,
        r.error ? 'failed' : r.tokensPerSecond,
        r.msPerStep ?? '',
        r.vsPytorch === undefined ? '' : `${r.vsPytorch.toFixed(2)}×`,
        target,
        pct(r.mfu),
        pct(r.mfuOwnThreads),
        r.loss === undefined ? '' : r.loss.toFixed(3),
      ]),
    );
  }
  out('');
  out(
    `vs PyTorch: tokens/s over the better of PyTorch 1 and 2 threads at that shape in this run; steps: warm-up + timed (median). MFU: against the ${machine.cores}-thread FMA peak; MFU/thr: against the FMA peak of the threads the run used.`,
  );
}
