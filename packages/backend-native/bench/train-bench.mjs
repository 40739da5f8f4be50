// Training-step benchmark: @procpt/model's Gpt on procpt-native / wasm / cpu (it uses the fused ops itself where the
// backend has the kernels), the same loss spelled out through the fused ops (fusedLoss below), and the PyTorch CPU peer (bench/torch_gpt.py, best of 1 and 2 threads),
// interleaved and repeated (median) because the machine's cores are shared. Also GEMM GFLOP/s vs torch/numpy.
// The Trainer-level table over all three shapes of issue #9 is @procpt/trainer-gpu's bench; this one stays at the
// backend level and, under the root `pnpm bench`, defaults to one repeat without the plain-Gpt rows (Gpt now runs
// the fused kernels itself, so they time the same path twice).
// Env: BENCH_SHAPES=small,haystack[,gpt2]  BENCH_REPEATS=1  BENCH_THREADS=1,2  BENCH_PLAIN=1 (also the plain Gpt)  BENCH_SLOW=1 (also time wasm/cpu)  PROFILE=1 (top kernels)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { biasGelu, fusedAttention, Gpt, gptConfig, layerNorm, maskedCrossEntropy } from '@procpt/model';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import {
  NATIVE_BACKEND,
  adamwUpdate,
  nativeBackendInfo,
  registerNativeBackend,
  setNativeThreads,
} from '../dist/index.js';
// The trainer owns the wasm patches (turbo builds it first for `bench`).
import { installWasmKernels } from '../../trainer-gpu/dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// PYTHON: a python3 with torch (default python3). The peers run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE,
// which force OpenBLAS's kernels for another core type (see tools/torch-reference).
const PY = process.env.PYTHON ?? 'python3';
function peerEnv(threads) {
  const env = { ...process.env };
  if (threads)
    Object.assign(env, { OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) });
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}
let peerKernelsShown = false;
const SHAPES = {
  small: { size: '2_4_128', V: 64, T: 128, B: 16, steps: 6, warmup: 2, slow: ['wasm', 'cpu'] },
  // the pure-JS cpu backend needs minutes per haystack step: not timed there
  // GPT-2 small (not in the default set: tens of seconds per step here)
  gpt2: { size: '12_12_768', V: 50257, T: 128, B: 8, steps: 1, warmup: 1, slow: [] },
  haystack: { size: '2_4_16', V: 256, T: 63, B: 1000, steps: 4, warmup: 1, slow: ['wasm'] },
};
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const THREADS = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number);
const PLAIN = process.env.BENCH_PLAIN === '1';
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Deterministic batch: next token = (7·tok + 3) mod V with 10 % noise; all targets scored. */
function makeBatch(V, T, B, seed) {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 8) / 16777216;
  const tok = new Int32Array(B * (T + 1));
  for (let b = 0; b < B; b++) {
    let t0 = Math.floor(rnd() * V);
    for (let t = 0; t <= T; t++) {
      tok[b * (T + 1) + t] = t0;
      t0 = rnd() < 0.9 ? (t0 * 7 + 3) % V : Math.floor(rnd() * V);
    }
  }
  return [tf.tensor2d(tok, [B, T + 1], 'int32'), tf.ones([B, T + 1], 'int32')];
}

/** The Gpt's loss written with this package's fused ops (what the model would do on procpt-native). */
function fusedLoss(model, tokens, lossMask) {
  const { nLayer, nHead, dModel: d, layerNormEpsilon: eps } = model.config;
  const P = (n) => model.params.get(n);
  return tf.tidy(() => {
    const [b, t1] = tokens.shape;
    const t = t1 - 1;
    const inputs = tf.reshape(tf.slice(tokens, [0, 0], [b, t]), [b * t]);
    const targets = tf.reshape(tf.slice(tokens, [0, 1], [b, t]), [b * t]);
    const weights = tf.cast(tf.reshape(tf.slice(lossMask, [0, 1], [b, t]), [b * t]), 'float32');
    const tok = tf.reshape(tf.gather(P('transformer.wte.weight'), inputs), [b, t, d]);
    let x = tf.reshape(tf.add(tok, tf.slice(P('transformer.wpe.weight'), [0, 0], [t, d])), [b * t, d]);
    for (let i = 0; i < nLayer; i++) {
      const p = (n) => P(`transformer.h.${i}.${n}`);
      const h = layerNorm(x, p('ln_1.weight'), p('ln_1.bias'), eps);
      const qkv = tf.fused.matMul({ a: h, b: p('attn.c_attn.weight'), bias: p('attn.c_attn.bias') });
      const y = tf.reshape(fusedAttention(tf.reshape(qkv, [b, t, 3 * d]), nHead), [b * t, d]);
      x = tf.add(x, tf.fused.matMul({ a: y, b: p('attn.c_proj.weight'), bias: p('attn.c_proj.bias') }));
      const f = biasGelu(
        tf.matMul(layerNorm(x, p('ln_2.weight'), p('ln_2.bias'), eps), p('mlp.c_fc.weight')),
        p('mlp.c_fc.bias'),
      );
      x = tf.add(x, tf.fused.matMul({ a: f, b: p('mlp.c_proj.weight'), bias: p('mlp.c_proj.bias') }));
    }
    const hf = layerNorm(x, P('transformer.ln_f.weight'), P('transformer.ln_f.bias'), eps);
    const head = P(model.config.tied ? 'transformer.wte.weight' : 'lm_head.weight');
    return tf.div(maskedCrossEntropy(hf, head, targets, weights), tf.maximum(tf.sum(weights), 1));
  });
}

/** Median ms per training step (forward + backward + AdamW) of one engine; also returns the loss trajectory. */
async function timeTfjs(backend, variant, shape, steps, warmup) {
  await tf.setBackend(backend);
  if (backend === 'wasm') installWasmKernels();
  const config = gptConfig(shape.size, { vocabSize: shape.V, nPositions: shape.T });
  const model = Gpt.create(config, { seed: 0 });
  const vars = [...model.params.values()];
  const moments = vars.map((v) => [tf.variable(tf.zerosLike(v)), tf.variable(tf.zerosLike(v))]);
  const lossOf = variant === 'fused' ? (a, b) => fusedLoss(model, a, b) : (a, b) => model.loss(a, b);
  const times = [];
  const losses = [];
  const tensorsBefore = tf.memory().numTensors;
  for (let s = 0; s < warmup + steps; s++) {
    const [tokens, mask] = makeBatch(shape.V, shape.T, shape.B, 1 + s);
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => lossOf(tokens, mask), vars);
    vars.forEach((v, i) => {
      adamwUpdate(v, grads[v.name], moments[i][0], moments[i][1], {
        lr: 3e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        step: s + 1,
      });
    });
    losses.push((await value.data())[0]);
    if (s >= warmup) times.push(performance.now() - t0);
    tf.dispose([value, ...Object.values(grads), tokens, mask]);
  }
  const leaked = tf.memory().numTensors - tensorsBefore;
  if (process.env.PROFILE === '1') await profile(lossOf, shape, vars);
  tf.dispose(moments.flat());
  model.dispose();
  return { ms: median(times), losses, leaked };
}

async function profile(lossOf, shape, vars) {
  const [tokens, mask] = makeBatch(shape.V, shape.T, shape.B, 99);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => lossOf(tokens, mask), vars);
    tf.dispose(Object.values(grads));
    return value;
  });
  const agg = new Map();
  for (const k of info.kernels) {
    const key = k.name === 'BatchMatMul' ? `${k.name} ${JSON.stringify(k.inputShapes)}` : k.name;
    const e = agg.get(key) ?? { ms: 0, n: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.n++;
    agg.set(key, e);
  }
  const rows = [...agg.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
  console.log(`  profile (${tf.getBackend()}), top kernels of forward+backward:`);
  for (const [k, e] of rows) console.log(`    ${e.ms.toFixed(1).padStart(8)} ms  x${e.n}  ${k}`);
  tf.dispose([tokens, mask]);
}

function torchPeer(shape, threads) {
  const [L, H, D] = shape.size.split('_');
  const r = spawnSync(
    PY,
    [join(here, 'torch_gpt.py'), L, H, D, shape.V, shape.T, shape.B, shape.steps, shape.warmup, threads].map(
      String,
    ),
    {
      encoding: 'utf8',
      env: peerEnv(threads),
    },
  );
  if (r.status !== 0) return null;
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  if (!peerKernelsShown) {
    console.log(
      `  PyTorch ${out.torch} peer: ${out.blas} (kernels ${out.blasCore}), ATen ${out.cpuCapability}`,
    );
    peerKernelsShown = true;
  }
  return out;
}

const tps = (shape, ms) => (shape.B * shape.T) / (ms / 1000);
const fmt = (x) => Math.round(x).toLocaleString('en-US');

async function benchShape(name) {
  const shape = SHAPES[name];
  console.log(
    `\n== ${name}: ${shape.size} T=${shape.T} B=${shape.B} V=${shape.V} (${shape.B * shape.T} tokens/step) ==`,
  );
  const runs = {};
  const add = (k, ms) => (runs[k] ??= []).push(ms);
  let leaks = 0;
  // Interleaved: each thread count runs torch and procpt-native back to back, so both see the same load.
  for (let r = 0; r < REPEATS; r++) {
    for (const th of THREADS) {
      const t = torchPeer(shape, th);
      if (t) add(`torch-${th}t`, t.ms);
      setNativeThreads(th);
      const fused = await timeTfjs(NATIVE_BACKEND, 'fused', shape, shape.steps, shape.warmup);
      add(`native-${th}t fused`, fused.ms);
      leaks += fused.leaked;
      const plain = PLAIN ? await timeTfjs(NATIVE_BACKEND, 'plain', shape, shape.steps, shape.warmup) : null;
      if (plain) {
        add(`native-${th}t plain Gpt`, plain.ms);
        leaks += plain.leaked;
      }
      if (plain && r === 0 && th === THREADS[0])
        console.log(
          `  loss plain ${plain.losses[0].toFixed(3)} -> ${plain.losses.at(-1).toFixed(3)}, fused ${fused.losses[0].toFixed(3)} -> ${fused.losses.at(-1).toFixed(3)}`,
        );
    }
  }
  if (process.env.BENCH_SLOW === '1') {
    for (const backend of shape.slow) {
      const r = await timeTfjs(backend, 'plain', shape, 1, backend === 'cpu' ? 0 : 1);
      runs[`${backend} plain Gpt`] = [r.ms];
    }
  }
  const torchBest = Math.min(
    median(runs['torch-1t'] ?? []) || Infinity,
    median(runs['torch-2t'] ?? []) || Infinity,
  );
  console.log(`  ${'engine'.padEnd(18)} ${'ms/step'.padStart(9)} ${'tokens/s'.padStart(10)}  vs best torch`);
  for (const [engine, ms] of Object.entries(runs)) {
    if (ms.length === 0) continue;
    const m = median(ms);
    console.log(
      `  ${engine.padEnd(18)} ${m.toFixed(1).padStart(9)} ${fmt(tps(shape, m)).padStart(10)}  ${Number.isFinite(torchBest) ? `${(torchBest / m).toFixed(2)}x` : `n/a (no PyTorch via ${PY})`}`,
    );
  }
  console.log(`  tensors leaked per run: ${leaks}`);
}

async function benchGemm() {
  const shapes = ['2048x128x512', '2048x512x128', '512x512x512', '1024x768x3072'];
  const peer = spawnSync(PY, [join(here, 'torch_gemm.py'), ...shapes], { encoding: 'utf8', env: peerEnv() });
  const ref = peer.status === 0 ? JSON.parse(peer.stdout.trim().split('\n').pop()) : {};
  await tf.setBackend(NATIVE_BACKEND);
  console.log('\n== GEMM GFLOP/s (procpt-native tf.matMul vs torch / numpy, same machine) ==');
  for (const spec of shapes) {
    const [m, k, n] = spec.split('x').map(Number);
    const native = {};
    for (const th of [1, 2]) {
      setNativeThreads(th);
      const a = tf.randomNormal([m, k], 0, 1, 'float32', 1);
      const b = tf.randomNormal([k, n], 0, 1, 'float32', 2);
      const ts = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        const c = tf.matMul(a, b);
        c.dataSync();
        ts.push(performance.now() - t0);
        c.dispose();
      }
      native[th] = (2 * m * n * k) / (median(ts.slice(1)) / 1000) / 1e9;
      tf.dispose([a, b]);
    }
    const r = ref[spec] ?? {};
    console.log(
      `  ${spec.padEnd(14)} native-1t ${native[1].toFixed(1).padStart(6)}  native-2t ${native[2].toFixed(1).padStart(6)}  torch-1t ${(r['torch-1t'] ?? NaN).toFixed(1).padStart(6)}  torch-2t ${(r['torch-2t'] ?? NaN).toFixed(1).padStart(6)}  numpy ${(r.numpy ?? NaN).toFixed(1).padStart(6)}`,
    );
  }
}

const status = registerNativeBackend();
if (!status.available) {
  console.log(`procpt-native unavailable: ${status.reason}`);
  process.exit(0);
}
console.log('backend-native:', JSON.stringify(nativeBackendInfo()));
for (const name of (process.env.BENCH_SHAPES ?? 'small,haystack').split(',')) await benchShape(name);
if (process.env.BENCH_GEMM !== '0') await benchGemm();
