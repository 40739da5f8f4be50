// WebGPU check + training-speed bench for a GPU machine without Node or network. Bundled by prepare.sh
// (esbuild: tfjs-core, the cpu and webgpu backends, Dawn's JS shim and procpt's model/trainer inlined);
// run by run.sh with the carried Node binary and dawn.node. Prints the adapter, checks loss and
// gradients against the cpu backend, then times full training steps (forward + backward + AdamW +
// loss readback) at the issue's shapes against PyTorch 2.11 on the H200.
//
//   node gpu-bench.mjs [--shapes issue|tiny|size:T:B:V,...] [--budget <s per shape>] [--backend webgpu|cpu]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gpt, type GptConfig, gptConfig } from '@procpt/model';
// a named import: its package.json marks the bare import side-effect free, so esbuild would drop it
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as dawn from 'webgpu';
import { AdamW } from '../../src/adamw.js';
import { computeGradients } from '../../src/step.js';
import { installCpuKernels, installWebGpuKernels } from '../../src/stock-patches.js';
import {
  type DawnModule,
  adapterLabel,
  initWebGpuRuntime,
  installDawn,
  type WebGpuErrorLog,
  watchWebGpuErrors,
} from '../../src/webgpu.js';

interface Shape {
  name: string;
  size: string;
  T: number;
  B: number;
  V: number;
  /** PyTorch 2.11 on the H200, tokens/s (issue #9), when known. */
  torch?: number;
}

const ISSUE: Shape[] = [
  { name: 'haystack', size: '2_4_16', T: 63, B: 1000, V: 256, torch: 9.9e6 },
  { name: 'small', size: '2_4_128', T: 128, B: 16, V: 64, torch: 0.36e6 },
  { name: 'gpt2-small', size: '12_12_768', T: 128, B: 8, V: 50257, torch: 0.23e6 },
];
const TINY: Shape[] = [
  { name: 'haystack-tiny', size: '2_4_16', T: 63, B: 8, V: 256 },
  { name: 'small-tiny', size: '2_4_32', T: 32, B: 4, V: 64 },
  { name: 'bigvocab-tiny', size: '1_2_32', T: 16, B: 2, V: 5000 },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function parseShapes(spec: string): Shape[] {
  if (spec === 'issue') return ISSUE;
  if (spec === 'tiny') return TINY;
  return spec.split(',').map((s) => {
    const [size, T, B, V] = s.split(':');
    if (!size || !T || !B || !V) throw new Error(`bad shape ${JSON.stringify(s)}: use size:T:B:V`);
    return { name: s, size, T: Number(T), B: Number(B), V: Number(V) };
  });
}

/** Deterministic tokens (LCG) and a mask scoring every position but the first of each row. */
function batchFor(B: number, T: number, V: number, seed: number) {
  const tokens = new Int32Array(B * T);
  let x = seed >>> 0;
  for (let i = 0; i < tokens.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    tokens[i] = x % V;
  }
  const loss = Uint8Array.from({ length: B * T }, (_, i) => (i % T === 0 ? 0 : 1));
  return { tokens, loss, batch: B, length: T };
}

function config(size: string, V: number, T: number): GptConfig {
  return { ...gptConfig(size, { vocabSize: V, nPositions: T }), dropout: 0 };
}

/** Loss, gradient norm and gradients of one batch on `backend`, from the same initial weights. */
async function gradientsOn(
  backend: string,
  cfg: GptConfig,
  weights: Map<string, Float32Array>,
  b: ReturnType<typeof batchFor>,
) {
  await tf.setBackend(backend);
  const model = Gpt.fromWeights(cfg, weights);
  const names = [...model.params.keys()];
  const g = computeGradients(model, [b], names, { maxNorm: 1, dropoutSeeds: [0], training: false });
  const grads = new Map<string, Float32Array>();
  for (const n of names) grads.set(n, (await g.grads[n]!.data()) as Float32Array);
  const out = { loss: (await g.loss.data())[0]!, norm: (await g.norm.data())[0]!, grads };
  tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
  model.dispose();
  return out;
}

async function check(
  backend: string,
  size: string,
  V: number,
  T: number,
  B: number,
): Promise<{ ok: boolean; line: string }> {
  const cfg = config(size, V, T);
  await tf.setBackend('cpu');
  const init = Gpt.create(cfg, { seed: 1 });
  const weights = new Map<string, Float32Array>();
  for (const [n, v] of init.params) weights.set(n, (await v.data()) as Float32Array);
  init.dispose();
  const b = batchFor(B, T, V, 7);
  const ref = await gradientsOn('cpu', cfg, weights, b);
  const got = await gradientsOn(backend, cfg, weights, b);
  let worst = 0;
  let worstName = '';
  for (const [n, r] of ref.grads) {
    const g = got.grads.get(n)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < r.length; i++) {
      diff = Math.max(diff, Math.abs(r[i]! - g[i]!));
      scale = Math.max(scale, Math.abs(r[i]!));
    }
    const rel = scale === 0 ? diff : diff / scale;
    if (rel > worst) [worst, worstName] = [rel, n];
  }
  const lossRel = Math.abs(got.loss - ref.loss) / ref.loss;
  const normRel = Math.abs(got.norm - ref.norm) / ref.norm;
  const ok = lossRel < 1e-4 && normRel < 1e-3 && worst < 1e-3;
  const line = `check ${size} V=${V} T=${T} B=${B}: loss ${got.loss.toFixed(6)} vs cpu ${ref.loss.toFixed(6)} (rel ${lossRel.toExponential(2)}), grad norm rel ${normRel.toExponential(2)}, max grad rel diff ${worst.toExponential(2)} (${worstName}) ${ok ? 'OK' : 'MISMATCH'}`;
  return { ok, line };
}

async function time(shape: Shape, budgetS: number) {
  const cfg = config(shape.size, shape.V, shape.T);
  const before = tf.memory().numTensors;
  const model = Gpt.create(cfg, { seed: 1 });
  const names = [...model.params.keys()];
  const opt = new AdamW(model.params, names, {
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.1,
    noDecay: [],
  });
  const batches = [batchFor(shape.B, shape.T, shape.V, 11), batchFor(shape.B, shape.T, shape.V, 12)];
  let loss = Number.NaN;
  const step = async (i: number) => {
    const g = computeGradients(model, [batches[i % 2]!], names, {
      maxNorm: 1,
      dropoutSeeds: [0],
      training: false,
    });
    opt.applyGradients(g.grads, 3e-4, g.scale);
    loss = (await g.loss.data())[0]!; // the sync point: waits for the GPU queue
    tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
  };
  const t0 = performance.now();
  await step(0); // compiles every shader
  const firstMs = performance.now() - t0;
  await step(1);
  let steps = 0;
  const start = performance.now();
  while (steps < 200 && (steps < 3 || performance.now() - start < budgetS * 1000)) await step(steps++);
  const ms = (performance.now() - start) / steps;
  opt.dispose();
  model.dispose();
  const leaked = tf.memory().numTensors - before;
  const tokensPerS = (shape.B * shape.T) / (ms / 1000);
  return { ...shape, steps, msPerStep: ms, firstStepMs: firstMs, tokensPerS, loss, leaked };
}

async function main(): Promise<void> {
  const backend = arg('backend', 'webgpu');
  const shapes = parseShapes(arg('shapes', 'issue'));
  const budget = Number(arg('budget', '40'));
  console.log(
    `node ${process.version}, tfjs-core ${tf.version_core}, tfjs-backend-cpu ${version_cpu}, backend ${backend}`,
  );
  installCpuKernels();
  const results: Record<string, unknown> = { backend, node: process.version };
  let errors: WebGpuErrorLog = { count: 0 };
  /** Fails `what` when the GPU reported validation errors during it (WebGPU returns garbage then). */
  const invalid = (before: number) =>
    errors.count > before ? ` INVALID: ${errors.count - before} GPU validation errors (${errors.first})` : '';
  if (backend === 'webgpu') {
    installDawn(dawn as unknown as DawnModule);
    const adapter = await initWebGpuRuntime();
    console.log(`adapter: ${adapterLabel(adapter)}`);
    results.adapter = adapter;
    // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists: import it now
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu')))
      throw new Error('tf.setBackend("webgpu") failed (see the lines above)');
    installWebGpuKernels();
    errors = watchWebGpuErrors();
    const limits = (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device.limits;
    console.log(
      `limits: maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}, maxBufferSize ${limits.maxBufferSize}, maxStorageBuffersPerShaderStage ${limits.maxStorageBuffersPerShaderStage}`,
    );
    const checks = [];
    for (const [size, V, T, B] of [
      ['2_4_32', 50, 16, 3],
      ['2_4_16', 256, 63, 8],
    ] as const) {
      const before = errors.count;
      const c = await check('webgpu', size, V, T, B);
      const bad = invalid(before);
      if (bad) c.ok = false;
      c.line += bad;
      checks.push(c);
      console.log(c.line);
    }
    results.checks = checks;
    if (!checks.every((c) => c.ok)) process.exitCode = 1;
  }
  await tf.setBackend(backend);
  const timings = [];
  for (const shape of shapes) {
    const before = errors.count;
    try {
      const r = await time(shape, budget);
      const bad = invalid(before);
      timings.push(bad ? { ...r, error: bad.trim() } : r);
      if (bad) process.exitCode = 1;
      const vs = r.torch
        ? `, ${(r.tokensPerS / r.torch).toFixed(3)}x PyTorch 2.11 H200 (${(r.torch / 1e6).toFixed(2)} M tokens/s)`
        : '';
      console.log(
        `${r.name} ${r.size} T=${r.T} B=${r.B} V=${r.V}: ${(r.tokensPerS / 1e6).toFixed(4)} M tokens/s, ${r.msPerStep.toFixed(1)} ms/step over ${r.steps} steps (first step ${(r.firstStepMs / 1000).toFixed(1)} s), loss ${r.loss.toFixed(4)}, leaked tensors ${r.leaked}${vs}${bad}`,
      );
    } catch (error) {
      console.log(`${shape.name}: FAILED ${(error as Error).message.split('\n')[0]}`);
      timings.push({ ...shape, error: (error as Error).message });
      process.exitCode = 1;
    }
  }
  results.timings = timings;
  if (process.env.OUT)
    writeFileSync(join(process.env.OUT, 'webgpu-bench.json'), `${JSON.stringify(results, null, 2)}\n`);
}

await main();
