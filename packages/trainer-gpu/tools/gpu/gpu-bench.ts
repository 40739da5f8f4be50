// WebGPU checks, training-speed bench and kernel profile for a GPU machine without Node or network. Bundled by
// prepare.sh (esbuild: tfjs-core, the cpu and webgpu backends, Dawn's JS shim, procpt's model/trainer and the
// fused WGSL kernels inlined); run.sh calls it once per measurement, each under its own `timeout`, so a hung
// or crashed measurement costs only itself. Every measurement appends one JSON line to $OUT/results.jsonl
// (the PyTorch peer, torch_peer.py, appends its own); `summary` turns them into the table of docs/webgpu.md.
//
//   node gpu-bench.mjs facts
//   node gpu-bench.mjs check  [--checks issue|tiny]                       fused and composite vs the cpu backend
//   node gpu-bench.mjs time   --shape NAME|size:T:B:V [--fused on|off] [--budget s] [--backend webgpu|cpu]
//   node gpu-bench.mjs profile --shape NAME [--fused on|off]             GPU time per kernel of one step
//   node gpu-bench.mjs summary                                           the table, with ratios to PyTorch
//   node gpu-bench.mjs shapes [--shapes issue|tiny]                      `name size T B V` lines (for run.sh)
//
// T is the number of positions the model processes (sequences of T + 1 tokens); tokens/s = B·T per step, as
// the PyTorch peer counts them.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gpt, type GptConfig, gptConfig, parameterCount } from '@procpt/model';
// a named import: its package.json marks the bare import side-effect free, so esbuild would drop it
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as dawn from 'webgpu';
import { AdamW } from '../../src/adamw.js';
import { assertFitsOnWebGpu } from '../../src/gpu-memory.js';
import { computeGradients } from '../../src/step.js';
import { installCpuKernels, installWebGpuKernels } from '../../src/stock-patches.js';
import {
  type DawnModule,
  adapterLabel,
  initWebGpuRuntime,
  installDawn,
  limitsLabel,
  type WebGpuErrorLog,
  watchWebGpuErrors,
} from '../../src/webgpu.js';
import { registerWebGpuFusedKernels, unregisterWebGpuFusedKernels } from '../../src/webgpu-kernels/index.js';

interface Shape {
  name: string;
  size: string;
  /** Positions per sequence (the model sees T tokens and predicts T). */
  T: number;
  B: number;
  V: number;
  /** PyTorch 2.11 fp32 on the H200 (the issue's reference), tokens/s, when known. */
  reference?: number;
}

const SHAPES: Record<string, Shape[]> = {
  issue: [
    { name: 'haystack', size: '2_4_16', T: 63, B: 1000, V: 256, reference: 9.9e6 },
    { name: 'small', size: '2_4_128', T: 128, B: 16, V: 64, reference: 0.36e6 },
    { name: 'gpt2-small', size: '12_12_768', T: 1024, B: 32, V: 50257, reference: 56e3 },
  ],
  tiny: [
    { name: 'haystack-tiny', size: '2_4_16', T: 63, B: 8, V: 256 },
    { name: 'small-tiny', size: '2_4_32', T: 32, B: 4, V: 64 },
    { name: 'bigvocab-tiny', size: '1_2_32', T: 16, B: 2, V: 5000 },
  ],
};

/** Correctness checks: the issue shapes' models at a batch the cpu backend computes in seconds. */
const CHECKS: Record<string, Array<[size: string, V: number, T: number, B: number]>> = {
  issue: [
    ['2_4_16', 256, 63, 8],
    ['2_4_128', 64, 128, 2],
    ['2_12_768', 50257, 64, 1],
  ],
  tiny: [
    ['2_4_32', 50, 16, 3],
    ['2_4_16', 256, 63, 4],
    ['1_2_32', 5000, 16, 2],
  ],
};

const mode = process.argv[2] ?? 'summary';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function findShape(spec: string): Shape {
  for (const list of Object.values(SHAPES)) {
    const s = list.find((x) => x.name === spec);
    if (s) return s;
  }
  const [size, T, B, V] = spec.split(':');
  if (!size || !T || !B || !V) throw new Error(`bad shape ${JSON.stringify(spec)}: a name or size:T:B:V`);
  return { name: spec, size, T: Number(T), B: Number(B), V: Number(V) };
}

const out = process.env.OUT;
/** Appends one result line to $OUT/results.jsonl (and prints it). */
function record(line: Record<string, unknown>): void {
  const json = JSON.stringify({ ...line, at: new Date().toISOString() });
  if (out) appendFileSync(join(out, 'results.jsonl'), `${json}\n`);
}

/** Deterministic tokens (LCG) of B sequences of T + 1 tokens; every position but the first is scored. */
function batchFor(B: number, T: number, V: number, seed: number) {
  const length = T + 1;
  const tokens = new Int32Array(B * length);
  let x = seed >>> 0;
  for (let i = 0; i < tokens.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    tokens[i] = x % V;
  }
  const loss = Uint8Array.from({ length: B * length }, (_, i) => (i % length === 0 ? 0 : 1));
  return { tokens, loss, batch: B, length };
}

function config(size: string, V: number, T: number): GptConfig {
  return { ...gptConfig(size, { vocabSize: V, nPositions: T }), dropout: 0 };
}

let errors: WebGpuErrorLog = { count: 0 };
/** ' INVALID: …' when the GPU reported validation errors since `before` (WebGPU returns garbage then). */
const invalid = (before: number) =>
  errors.count > before ? ` INVALID: ${errors.count - before} GPU validation errors (${errors.first})` : '';

/** Dawn + tfjs-backend-webgpu + procpt's AddN patch and error watch; `profile` adds Dawn's unsafe APIs (timers). */
async function startWebGpu(profile = false) {
  const extra = profile
    ? ['enable-dawn-features=allow_unsafe_apis', 'disable-dawn-features=timestamp_quantization']
    : [];
  const module = dawn as unknown as DawnModule;
  installDawn({ create: (flags) => module.create([...flags, ...extra]), globals: module.globals });
  const adapter = await initWebGpuRuntime();
  // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists: import it now
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu')))
    throw new Error('tf.setBackend("webgpu") failed (see the lines above)');
  installWebGpuKernels();
  errors = watchWebGpuErrors();
  const device = (
    tf.backend() as unknown as { device: { limits: Record<string, number>; features: Set<string> } }
  ).device;
  return { adapter, device };
}

function setFused(on: boolean): void {
  if (on) registerWebGpuFusedKernels();
  else unregisterWebGpuFusedKernels();
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
  const result = { loss: (await g.loss.data())[0]!, norm: (await g.norm.data())[0]!, grads };
  tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
  model.dispose();
  return result;
}

async function check(): Promise<void> {
  await startWebGpu();
  for (const [size, V, T, B] of CHECKS[arg('checks', 'issue')] ?? []) {
    const cfg = config(size, V, T);
    await tf.setBackend('cpu');
    const init = Gpt.create(cfg, { seed: 1 });
    const weights = new Map<string, Float32Array>();
    for (const [n, v] of init.params) weights.set(n, (await v.data()) as Float32Array);
    init.dispose();
    const b = batchFor(B, T, V, 7);
    const started = performance.now();
    const ref = await gradientsOn('cpu', cfg, weights, b);
    const cpuMs = performance.now() - started;
    for (const fused of [true, false]) {
      setFused(fused);
      const before = errors.count;
      const got = await gradientsOn('webgpu', cfg, weights, b);
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
        if (!(rel <= worst)) [worst, worstName] = [rel, n];
      }
      const lossRel = Math.abs(got.loss - ref.loss) / ref.loss;
      const normRel = Math.abs(got.norm - ref.norm) / ref.norm;
      const bad = invalid(before);
      // float32 on both sides: the webgpu tests see ≤ 1e-6 (1e-4 relative leaves room for GPU exp/FMA rounding)
      const ok = !bad && lossRel < 1e-4 && normRel < 1e-3 && worst < 1e-3;
      const verdict = ok ? 'OK' : 'MISMATCH';
      console.log(
        `check ${size} V=${V} T=${T} B=${B} ${fused ? 'fused' : 'composite'}: loss ${got.loss.toFixed(6)} vs cpu ${ref.loss.toFixed(6)} (rel ${lossRel.toExponential(2)}), grad norm rel ${normRel.toExponential(2)}, max grad rel diff ${worst.toExponential(2)} (${worstName}) ${verdict}${bad}`,
      );
      record({
        kind: 'check',
        size,
        V,
        T,
        B,
        fused,
        ok,
        lossRel,
        normRel,
        worst,
        worstName,
        cpuMs,
        error: bad || undefined,
      });
      if (!ok) process.exitCode = 1;
    }
  }
}

/** One timed training step loop; returns the step function too (for the profile). */
async function trainingLoop(shape: Shape) {
  const cfg = config(shape.size, shape.V, shape.T);
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
  const dispose = () => {
    opt.dispose();
    model.dispose();
  };
  return { cfg, step, dispose, loss: () => loss };
}

async function time(): Promise<void> {
  const shape = findShape(arg('shape', 'haystack'));
  const backend = arg('backend', 'webgpu');
  const fused = arg('fused', 'on') !== 'off';
  const budget = Number(arg('budget', '30'));
  const base = {
    kind: 'time',
    shape: shape.name,
    size: shape.size,
    T: shape.T,
    B: shape.B,
    V: shape.V,
    backend,
    fused,
  };
  if (backend === 'webgpu') {
    const { device } = await startWebGpu();
    setFused(fused);
    const cfg = config(shape.size, shape.V, shape.T);
    try {
      const step = {
        batchSize: shape.B,
        length: shape.T + 1,
        accumulation: 1,
        parameters: parameterCount(cfg),
        fused,
      };
      const limits = {
        maxBufferSize: device.limits.maxBufferSize!,
        maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize!,
      };
      assertFitsOnWebGpu(cfg, step, `${shape.name} ${fused ? 'fused' : 'composite'}`, { limits });
    } catch (error) {
      const message = (error as Error).message;
      console.log(`${shape.name} ${fused ? 'fused' : 'composite'}: SKIPPED by the memory guard: ${message}`);
      record({ ...base, skipped: message });
      return;
    }
  } else {
    installCpuKernels();
    await tf.setBackend(backend);
  }
  const before = tf.memory().numTensors;
  const beforeErrors = errors.count;
  const loop = await trainingLoop(shape);
  const t0 = performance.now();
  await loop.step(0); // compiles every shader
  const firstMs = performance.now() - t0;
  await loop.step(1);
  let steps = 0;
  const start = performance.now();
  while (steps < 500 && (steps < 3 || performance.now() - start < budget * 1000)) await loop.step(steps++);
  const ms = (performance.now() - start) / steps;
  const loss = loop.loss();
  loop.dispose();
  const leaked = tf.memory().numTensors - before;
  const tokensPerS = (shape.B * shape.T) / (ms / 1000);
  const bad = invalid(beforeErrors);
  const ref = shape.reference
    ? `, ${(tokensPerS / shape.reference).toFixed(3)}x the issue's PyTorch 2.11 H200 reference (${(shape.reference / 1e6).toFixed(3)} M tokens/s)`
    : '';
  console.log(
    `${shape.name} ${shape.size} T=${shape.T} B=${shape.B} V=${shape.V} ${backend}${backend === 'webgpu' ? (fused ? ' fused' : ' composite') : ''}: ${(tokensPerS / 1e6).toFixed(4)} M tokens/s, ${ms.toFixed(1)} ms/step over ${steps} steps (first step ${(firstMs / 1000).toFixed(1)} s), loss ${loss.toFixed(4)}, leaked tensors ${leaked}${ref}${bad}`,
  );
  record({
    ...base,
    steps,
    msPerStep: ms,
    firstStepMs: firstMs,
    tokensPerSecond: tokensPerS,
    loss,
    leaked,
    error: bad || undefined,
  });
  if (bad) process.exitCode = 1;
}

async function profile(): Promise<void> {
  const shape = findShape(arg('shape', 'haystack'));
  const fused = arg('fused', 'on') !== 'off';
  const { device } = await startWebGpu(true);
  setFused(fused);
  const timers = device.features.has('timestamp-query');
  const loop = await trainingLoop(shape);
  await loop.step(0);
  await loop.step(1);
  const t0 = performance.now();
  const info = await tf.profile(() => loop.step(2) as unknown as tf.TensorContainer);
  const wallMs = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls++;
    byKernel.set(k.name, e);
  }
  loop.dispose();
  const total = [...byKernel.values()].reduce((a, b) => a + b.ms, 0);
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
  console.log(
    `profile ${shape.name} ${fused ? 'fused' : 'composite'}: ${info.kernels.length} kernel calls, GPU time ${total.toFixed(1)} ms${timers ? '' : ' (no timestamp-query: times are 0)'}, wall ${wallMs.toFixed(0)} ms with one pass per kernel`,
  );
  for (const [name, e] of top)
    console.log(
      `  ${name.padEnd(34)} ${e.ms.toFixed(2).padStart(9)} ms ${((100 * e.ms) / (total || 1)).toFixed(1).padStart(5)}%  ${e.calls} calls`,
    );
  record({
    kind: 'profile',
    shape: shape.name,
    fused,
    timers,
    kernelCalls: info.kernels.length,
    gpuMs: total,
    wallMs,
    top: top.map(([name, e]) => ({ name, ms: e.ms, calls: e.calls })),
  });
}

async function facts(): Promise<void> {
  const { adapter, device } = await startWebGpu();
  const keys = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxStorageBuffersPerShaderStage',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupsPerDimension',
  ];
  const limits = Object.fromEntries(keys.map((k) => [k, device.limits[k]]));
  console.log(`node ${process.version}, tfjs-core ${tf.version_core}, tfjs-backend-cpu ${version_cpu}`);
  console.log(`adapter: ${adapterLabel(adapter)}${adapter.limits ? `; ${limitsLabel(adapter.limits)}` : ''}`);
  console.log(`device limits: ${JSON.stringify(limits)}`);
  console.log(`device features: ${[...device.features].sort().join(', ')}`);
  record({
    kind: 'facts',
    node: process.version,
    tfjs: tf.version_core,
    adapter,
    limits,
    features: [...device.features].sort(),
  });
}

interface Line {
  kind: string;
  shape?: string;
  fused?: boolean;
  backend?: string;
  tokensPerSecond?: number;
  msPerStep?: number;
  skipped?: string;
  error?: string;
  ok?: boolean;
  size?: string;
  [k: string]: unknown;
}

/** The last line matching `pred` (Array#findLast is ES2023). */
function last(lines: Line[], pred: (l: Line) => boolean): Line | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (pred(lines[i]!)) return lines[i];
  return undefined;
}

function summary(): void {
  const path = out ? join(out, 'results.jsonl') : '';
  if (!path || !existsSync(path)) {
    console.log('summary: no $OUT/results.jsonl');
    return;
  }
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
  const rows: string[] = [];
  const facts = lines.find((l) => l.kind === 'facts');
  if (facts) rows.push(`adapter: ${adapterLabel(facts.adapter as never)}`);
  const torchFacts = lines.find((l) => l.kind === 'torch');
  if (torchFacts)
    rows.push(`PyTorch peer: torch ${torchFacts.torch}, ${torchFacts.device}, ${torchFacts.precision}`);
  for (const c of lines.filter((l) => l.kind === 'check'))
    rows.push(
      `check ${c.size} ${c.fused ? 'fused' : 'composite'}: ${c.ok ? 'OK' : 'MISMATCH'} (max grad rel diff ${Number(c.worst).toExponential(1)})`,
    );
  rows.push('');
  rows.push(
    '| shape | webgpu fused | webgpu composite | fused / composite | PyTorch (same run) | fused / PyTorch | composite / PyTorch |',
  );
  rows.push('|---|---|---|---|---|---|---|');
  const names = [...new Set(lines.filter((l) => l.shape && l.kind !== 'profile').map((l) => l.shape!))];
  const fmt = (l: Line | undefined) =>
    !l
      ? '–'
      : l.skipped
        ? 'skipped (guard)'
        : l.tokensPerSecond
          ? `${Math.round(l.tokensPerSecond).toLocaleString('en-US')} tok/s`
          : 'failed';
  const ratio = (a?: Line, b?: Line) =>
    a?.tokensPerSecond && b?.tokensPerSecond ? `${(a.tokensPerSecond / b.tokensPerSecond).toFixed(3)}×` : '–';
  for (const name of names) {
    const f = last(lines, (l) => l.kind === 'time' && l.shape === name && l.backend === 'webgpu' && l.fused);
    const c = last(lines, (l) => l.kind === 'time' && l.shape === name && l.backend === 'webgpu' && !l.fused);
    const t = last(lines, (l) => l.kind === 'torch' && l.shape === name);
    rows.push(
      `| ${name} | ${fmt(f)} | ${fmt(c)} | ${ratio(f, c)} | ${fmt(t)} | ${ratio(f, t)} | ${ratio(c, t)} |`,
    );
  }
  for (const p of lines.filter((l) => l.kind === 'profile')) {
    const top = (p.top as Array<{ name: string; ms: number }>).slice(0, 6);
    rows.push(
      `profile ${p.shape} ${p.fused ? 'fused' : 'composite'}: ${Number(p.gpuMs).toFixed(1)} ms GPU in ${p.kernelCalls} kernels; ${top.map((k) => `${k.name} ${k.ms.toFixed(1)}`).join(', ')}`,
    );
  }
  const study = last(lines, (l) => l.kind === 'study');
  if (study)
    rows.push(
      `study haystack ${study.preset} (${study.runId}): ${study.status}, ${study.steps}/${study.totalSteps} steps in ${Number(study.wallSeconds).toFixed(0)} s, ${Math.round(Number(study.tokensPerSecond)).toLocaleString('en-US')} tok/s; full budget projected at ${(Number(study.projectedSeconds) / 60).toFixed(1)} min`,
    );
  const text = rows.join('\n');
  console.log(text);
  if (out) writeFileSync(join(out, 'summary.md'), `${text}\n`);
}

async function main(): Promise<void> {
  if (mode === 'shapes')
    for (const s of SHAPES[arg('shapes', 'issue')] ?? [])
      console.log(`${s.name} ${s.size} ${s.T} ${s.B} ${s.V}`);
  else if (mode === 'facts') await facts();
  else if (mode === 'check') await check();
  else if (mode === 'time') await time();
  else if (mode === 'profile') await profile();
  else if (mode === 'summary') summary();
  else throw new Error(`unknown mode ${mode}: facts | check | time | profile | summary | shapes`);
}

try {
  await main();
} catch (error) {
  console.log(`${mode}: FAILED ${(error as Error).message.split('\n')[0]}`);
  record({
    kind: 'error',
    mode,
    argv: process.argv.slice(3),
    error: (error as Error).message.split('\n')[0],
  });
  process.exitCode = 1;
}
// Dawn keeps the event loop alive while its instance exists
process.exit();
