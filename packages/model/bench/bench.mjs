// Forward+backward throughput of @procpt/model on each available tfjs backend, with the ratio to
// PyTorch CPU (tools/parity/torch_bench.py, same shapes) measured in the same run.
// Run: pnpm --filter @procpt/model bench   (turbo builds dist first)
// Env: BENCH_STEPS (timed steps per case, default 3), BENCH_BACKENDS (default "wasm,cpu"),
//      PYTHON (a python3 with torch; default python3, PROCPT_TORCH_PYTHON is still read), BENCH_TORCH_THREADS
//      (default 1). The peer runs without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (see tools/torch-reference).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Gpt, gptConfig } from '../dist/index.js';
// The trainer owns the patches that let the stock backends train the model (turbo builds it first for `bench`).
import { installCpuKernels, installWasmKernels } from '../../trainer-gpu/dist/index.js';

tf.env().set('PROD', true);
const STEPS = Number(process.env.BENCH_STEPS ?? 3);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'wasm,cpu').split(',');
const PYTHON = process.env.PYTHON ?? process.env.PROCPT_TORCH_PYTHON ?? 'python3';
const TORCH_THREADS = process.env.BENCH_TORCH_THREADS ?? '1';
const torchScript = fileURLToPath(new URL('../../../tools/parity/torch_bench.py', import.meta.url));

// T = positions processed per row (the loss reads T+1 tokens); V=64 for both, the paper's
// needle-in-a-haystack shape for 2_4_16 and the tfjs feasibility shape for 2_4_128.
const CASES = [
  { size: '2_4_16', vocab: 64, t: 63, b: 1000 },
  { size: '2_4_128', vocab: 64, t: 128, b: 16 },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function batch({ vocab, t, b }) {
  // deterministic tokens (LCG), no Math.random
  let x = 12345;
  const data = new Int32Array(b * (t + 1));
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = x % vocab;
  }
  return data;
}

async function tfjsRun(backend, c) {
  await tf.setBackend(backend);
  await tf.ready();
  if (backend === 'wasm') installWasmKernels();
  if (backend === 'cpu') installCpuKernels();
  const model = Gpt.create(gptConfig(c.size, { vocabSize: c.vocab, nPositions: c.t, dropout: 0 }), {
    seed: 1,
  });
  const tokens = tf.tensor2d(batch(c), [c.b, c.t + 1], 'int32');
  const mask = tf.onesLike(tokens);
  const vars = [...model.params.values()];
  // cpu is the slow reference (tens of seconds per step): one cold step, no warm-up
  const [warmup, steps] = backend === 'cpu' ? [0, 1] : [1, STEPS];
  const times = [];
  for (let s = 0; s < warmup + steps; s++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => model.loss(tokens, mask), vars);
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    if (s >= warmup) times.push(performance.now() - t0);
  }
  tf.dispose([tokens, mask]);
  model.dispose();
  const ms = median(times);
  return { ms, tokensPerSecond: (c.b * c.t) / (ms / 1000) };
}

/** The peer's environment: its BLAS pool pinned, and no variable forcing OpenBLAS's kernels for another core. */
function peerEnv(threads) {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: threads, OMP_NUM_THREADS: threads };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchRun(c) {
  try {
    const out = execFileSync(
      PYTHON,
      [torchScript, c.size, String(c.vocab), String(c.t), String(c.b), String(STEPS), TORCH_THREADS],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: peerEnv(TORCH_THREADS),
      },
    );
    return JSON.parse(out.trim().split('\n').pop());
  } catch (error) {
    return { error: String(error.message ?? error).split('\n')[0] };
  }
}

for (const c of CASES) {
  const peer = torchRun(c);
  const peerText = peer.error
    ? `PyTorch CPU unavailable (${peer.error})`
    : `PyTorch ${peer.torch} CPU (${peer.threads} thread, BLAS kernels ${peer.blasCore ?? peer.blas}) ${peer.tokensPerSecond.toFixed(0)} tok/s`;
  console.log(`\n${c.size} V=${c.vocab} T=${c.t} B=${c.b} fwd+bwd — peer: ${peerText}`);
  for (const backend of BACKENDS) {
    const r = await tfjsRun(backend, c);
    const ratio = peer.error
      ? ''
      : `  torch/tfjs = ${(peer.tokensPerSecond / r.tokensPerSecond).toFixed(2)}×`;
    console.log(
      `  tfjs ${backend.padEnd(5)} ${r.ms.toFixed(0).padStart(7)} ms/step ${r.tokensPerSecond.toFixed(0).padStart(8)} tok/s${ratio}`,
    );
  }
}
