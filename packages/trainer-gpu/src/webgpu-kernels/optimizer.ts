// `ProcptGradNormClip` and `ProcptAdamW` on webgpu: the global gradient norm and clip factor stay on the GPU
// (no readback between the backward pass and the update), and AdamW is one pass over each parameter that reads
// param, gradient, both moments and the clip factor and writes the three new tensors.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  alloc,
  deviceLimit,
  grid,
  release,
  runProgram,
  sizeOf,
  type WebGpuBackendInternals,
} from './program.js';

const WG = 256;
/** Workgroups (partial sums) per gradient in the norm's first pass. */
const PARTS = 64;

/** `[norm, scale]`: √(Σ g²) over every gradient and `min(1, maxNorm / (norm + 1e-6))` (1 when maxNorm < 0). */
export function gradNormClip(
  backend: WebGpuBackendInternals,
  grads: readonly TensorInfo[],
  maxNorm: number,
): TensorInfo[] {
  // one dispatch sums up to (storage-buffer limit − 1) gradients, one binding each
  const group = Math.max(1, Math.min(7, deviceLimit(backend, 'maxStorageBuffersPerShaderStage', 8) - 1));
  const partial = alloc(backend, [Math.max(1, grads.length) * PARTS]);
  if (grads.length === 0) zeroFill(backend, partial, PARTS);
  for (let first = 0; first < grads.length; first += group) {
    const part = grads.slice(first, first + group);
    // workgroups per gradient: enough for 8 values per invocation, at most PARTS (slots beyond are zeroed)
    const used = Math.max(1, Math.min(PARTS, ...part.map((t) => Math.ceil(sizeOf(t.shape) / (WG * 8)))));
    runProgram(backend, {
      name: 'ProcptSumSquares',
      key: `g${part.length}`,
      bindings: [
        { name: 'part', tensor: partial, write: true },
        ...part.map((tensor, k) => ({ name: `g${k}`, tensor })),
      ],
      uniforms: [
        ['first', 'u32', first],
        ['used', 'u32', used],
        ...part.map((t, k): [string, 'u32', number] => [`n${k}`, 'u32', sizeOf(t.shape)]),
      ],
      dispatch: [used, part.length, 1],
      body: () => /* wgsl */ `
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let t = lid3.x;
  let k = wid.y;
  var s = 0.0;
  switch (k) {
${part
  .map(
    (_, k) => `    case ${k}u: {
      for (var i = wid.x * ${WG}u + t; i < u.n${k}; i += u.used * ${WG}u) {
        let v = g${k}[i];
        s += v * v;
      }
    }`,
  )
  .join('\n')}
    default: {}
  }
  red[t] = s;
  workgroupBarrier();
  for (var w = ${WG / 2}u; w > 0u; w >>= 1u) {
    if (t < w) {
      red[t] += red[t + w];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    part[(u.first + k) * ${PARTS}u + wid.x] = red[0];
  }
  if (wid.x == 0u) {
    for (var p = u.used + t; p < ${PARTS}u; p += ${WG}u) {
      part[(u.first + k) * ${PARTS}u + p] = 0.0;
    }
  }
}
`,
    });
  }
  const norm = alloc(backend, []);
  const scale = alloc(backend, []);
  runProgram(backend, {
    name: 'ProcptNormClip',
    key: '',
    bindings: [
      { name: 'norm', tensor: norm, write: true },
      { name: 'scale', tensor: scale, write: true },
      { name: 'part', tensor: partial },
    ],
    uniforms: [
      ['count', 'u32', Math.max(1, grads.length) * PARTS],
      ['maxNorm', 'f32', maxNorm],
    ],
    dispatch: [1, 1, 1],
    body: () => /* wgsl */ `
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let t = lid3.x;
  var s = 0.0;
  for (var i = t; i < u.count; i += ${WG}u) {
    s += part[i];
  }
  red[t] = s;
  workgroupBarrier();
  for (var w = ${WG / 2}u; w > 0u; w >>= 1u) {
    if (t < w) {
      red[t] += red[t + w];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let n = sqrt(red[0]);
    norm[0] = n;
    scale[0] = select(min(1.0, u.maxNorm / (n + 1e-6)), 1.0, u.maxNorm < 0.0);
  }
}
`,
  });
  release(backend, partial);
  return [norm, scale];
}

function zeroFill(backend: WebGpuBackendInternals, t: TensorInfo, n: number): void {
  runProgram(backend, {
    name: 'ProcptZero',
    key: '',
    bindings: [{ name: 'dst', tensor: t, write: true }],
    uniforms: [['n', 'u32', n]],
    dispatch: grid(n, WG),
    body: () => /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * ${WG}u + gid.x;
  if (i < u.n) {
    dst[i] = 0.0;
  }
}
`,
  });
}

/** Hyperparameters of one `ProcptAdamW` update (its attrs). */
export interface AdamWAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
}

/**
 * `[param, m, v]` after one `torch.optim.AdamW` step, in the operation order of trainer-gpu's tfjs AdamW
 * (float32 constants as its scalars): g = grad·scale, m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², p = p·(1 − lr·λ)
 * + (m / (√v / √(1−β₂ᵗ) + ε))·(−lr / (1−β₁ᵗ)).
 */
export function adamw(
  backend: WebGpuBackendInternals,
  param: TensorInfo,
  grad: TensorInfo,
  m: TensorInfo,
  v: TensorInfo,
  scale: TensorInfo,
  hp: AdamWAttrs,
): TensorInfo[] {
  for (const [name, t] of [
    ['grad', grad],
    ['m', m],
    ['v', v],
  ] as const) {
    if (t.shape.join() !== param.shape.join())
      throw new Error(`webgpu AdamW: ${name} [${t.shape}] differs from the parameter [${param.shape}]`);
  }
  if (!Number.isInteger(hp.step) || hp.step < 1)
    throw new Error(`webgpu AdamW: step must be an integer >= 1, got ${hp.step}`);
  const n = sizeOf(param.shape);
  const outs = [param, m, v].map((t) => alloc(backend, t.shape.slice()));
  runProgram(backend, {
    name: 'ProcptAdamW',
    key: '',
    bindings: [
      { name: 'pOut', tensor: outs[0]!, write: true },
      { name: 'mOut', tensor: outs[1]!, write: true },
      { name: 'vOut', tensor: outs[2]!, write: true },
      { name: 'p', tensor: param },
      { name: 'g', tensor: grad },
      { name: 'm', tensor: m },
      { name: 'v', tensor: v },
      { name: 'scale', tensor: scale },
    ],
    uniforms: [
      ['n', 'u32', n],
      ['b1', 'f32', hp.beta1],
      ['c1', 'f32', 1 - hp.beta1],
      ['b2', 'f32', hp.beta2],
      ['c2', 'f32', 1 - hp.beta2],
      ['keep', 'f32', 1 - hp.lr * hp.weightDecay],
      ['bc2', 'f32', Math.sqrt(1 - hp.beta2 ** hp.step)],
      ['eps', 'f32', hp.eps],
      ['negStep', 'f32', -hp.lr / (1 - hp.beta1 ** hp.step)],
    ],
    dispatch: grid(n, WG),
    body: () => /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * ${WG}u + gid.x;
  if (i >= u.n) {
    return;
  }
  let gi = g[i] * scale[0];
  let mi = m[i] * u.b1 + gi * u.c1;
  let vi = v[i] * u.b2 + (gi * gi) * u.c2;
  mOut[i] = mi;
  vOut[i] = vi;
  pOut[i] = p[i] * u.keep + (mi / (sqrt(vi) / u.bc2 + u.eps)) * u.negStep;
}
`,
  });
  return outs;
}
