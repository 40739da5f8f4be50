// LayerNorm (`ProcptLayerNorm`, `ProcptLayerNormGrad`) and bias + GELU (`ProcptBiasGelu`, `ProcptBiasGeluGrad`)
// on webgpu, with procpt-native's formulas (fused.cc).
//
// Row kernels run R rows per 64-invocation workgroup, 64/R invocations per row (R from the row length), and
// reduce each row in workgroup memory. The parameter gradients (Σ over rows) are two passes, never atomics:
// per-chunk partial sums of 128 rows, then one invocation per column adding the chunks in order, so the
// result does not depend on scheduling.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  alloc,
  grid,
  pow2Floor,
  release,
  runProgram,
  sizeOf,
  type WebGpuBackendInternals,
} from './program.js';
import { TANH_WGSL } from './wgsl.js';

const WG = 64;
/** Rows per partial sum of the column reductions. */
const CHUNK = 128;

/** Invocations per row: a power of two ≤ 64, about a quarter of the row length (at least 1). */
function perRow(dim: number): number {
  return Math.min(WG, pow2Floor(Math.max(1, Math.floor(dim / 4))));
}

function rowsOf(x: TensorInfo): [number, number] {
  const dim = x.shape[x.shape.length - 1] ?? 1;
  return [dim === 0 ? 0 : sizeOf(x.shape) / dim, dim];
}

/** WGSL of a row kernel: `TPR` invocations per row, `row`/`t`/`live` set, and `reduce(v)` summing a row. */
function rowKernel(tpr: number, code: string): string {
  return /* wgsl */ `
const TPR = ${tpr}u;
const RPW = ${WG / tpr}u;
var<workgroup> red: array<f32, ${WG}>;
// the sum of v over the TPR invocations of this row (every invocation of the workgroup must call it)
fn reduce(lid: u32, v: f32) -> f32 {
  let base = (lid / TPR) * TPR;
  red[lid] = v;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if (lid - base < s) {
      red[lid] += red[lid + s];
    }
    workgroupBarrier();
  }
  let total = red[base];
  workgroupBarrier();
  return total;
}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let row = (wid.y * nwg.x + wid.x) * RPW + lid / TPR;
  let t = lid % TPR;
  let live = row < u.rows;
  let r = min(row, u.rows - 1u);
  let D = u.dim;
${code}
}
`;
}

export function layerNormForward(
  backend: WebGpuBackendInternals,
  x: TensorInfo,
  gamma: TensorInfo,
  beta: TensorInfo,
  epsilon: number,
): TensorInfo[] {
  const [rows, dim] = rowsOf(x);
  const y = alloc(backend, x.shape.slice());
  const mean = alloc(backend, [rows]);
  const rstd = alloc(backend, [rows]);
  const tpr = perRow(dim);
  runProgram(backend, {
    name: 'ProcptLayerNormForward',
    key: `tpr${tpr}`,
    bindings: [
      { name: 'y', tensor: y, write: true },
      { name: 'mean', tensor: mean, write: true },
      { name: 'rstd', tensor: rstd, write: true },
      { name: 'x', tensor: x },
      { name: 'g', tensor: gamma },
      { name: 'bt', tensor: beta },
    ],
    uniforms: [
      ['rows', 'u32', rows],
      ['dim', 'u32', dim],
      ['eps', 'f32', epsilon],
    ],
    dispatch: grid(rows, WG / tpr),
    body: () =>
      rowKernel(
        tpr,
        /* wgsl */ `
  let at = r * D;
  var s = 0.0;
  for (var j = t; j < D; j += TPR) {
    s += x[at + j];
  }
  let mu = reduce(lid, s) / f32(D);
  var v = 0.0;
  for (var j = t; j < D; j += TPR) {
    let c = x[at + j] - mu;
    v += c * c;
  }
  let rs = 1.0 / sqrt(reduce(lid, v) / f32(D) + u.eps);
  if (live) {
    for (var j = t; j < D; j += TPR) {
      y[at + j] = (x[at + j] - mu) * rs * g[j] + bt[j];
    }
    if (t == 0u) {
      mean[r] = mu;
      rstd[r] = rs;
    }
  }`,
      ),
  });
  return [y, mean, rstd];
}

/**
 * Column sums of `count` values per column over rows, in two passes: partials [chunks, count·dim] of
 * CHUNK rows each (`partial(row, col, k)` in WGSL gives value k of (row, col)), then the chunks added
 * in order into `outs[k]` [dim].
 */
function columnSums(
  backend: WebGpuBackendInternals,
  name: string,
  rows: number,
  dim: number,
  inputs: Array<{ name: string; tensor: TensorInfo }>,
  count: 1 | 2,
  valueWgsl: string,
): TensorInfo[] {
  const chunks = Math.max(1, Math.ceil(rows / CHUNK));
  const partial = alloc(backend, [chunks, count * dim]);
  runProgram(backend, {
    name: `${name}Partial`,
    key: `n${count}`,
    bindings: [{ name: 'part', tensor: partial, write: true }, ...inputs],
    uniforms: [
      ['rows', 'u32', rows],
      ['dim', 'u32', dim],
      ['chunks', 'u32', chunks],
    ],
    dispatch: grid(chunks * dim, WG),
    body: () => /* wgsl */ `
${valueWgsl}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = gid.y * nwg.x * ${WG}u + gid.x;
  if (id >= u.chunks * u.dim) {
    return;
  }
  let chunk = id / u.dim;
  let col = id % u.dim;
  let end = min(u.rows, (chunk + 1u) * ${CHUNK}u);
  var s0 = 0.0;
  var s1 = 0.0;
  for (var row = chunk * ${CHUNK}u; row < end; row++) {
    let v = value(row, col);
    s0 += v.x;
    s1 += v.y;
  }
  part[chunk * ${count}u * u.dim + col] = s0;
  ${count === 2 ? 'part[chunk * 2u * u.dim + u.dim + col] = s1;' : ''}
}
`,
  });
  const outs = Array.from({ length: count }, () => alloc(backend, [dim]));
  runProgram(backend, {
    name: `${name}Sum`,
    key: `n${count}`,
    bindings: [
      ...outs.map((tensor, k) => ({ name: `out${k}`, tensor, write: true })),
      { name: 'part', tensor: partial },
    ],
    uniforms: [
      ['dim', 'u32', dim],
      ['chunks', 'u32', chunks],
    ],
    dispatch: grid(dim, WG),
    body: () => /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let col = gid.y * nwg.x * ${WG}u + gid.x;
  if (col >= u.dim) {
    return;
  }
  ${outs
    .map(
      (_, k) => `var s${k} = 0.0;
  for (var c = 0u; c < u.chunks; c++) {
    s${k} += part[c * ${count}u * u.dim + ${k}u * u.dim + col];
  }
  out${k}[col] = s${k};`,
    )
    .join('\n  ')}
}
`,
  });
  release(backend, partial);
  return outs;
}

export function layerNormBackward(
  backend: WebGpuBackendInternals,
  dy: TensorInfo,
  x: TensorInfo,
  gamma: TensorInfo,
  mean: TensorInfo,
  rstd: TensorInfo,
): TensorInfo[] {
  const [rows, dim] = rowsOf(x);
  const dx = alloc(backend, x.shape.slice());
  const tpr = perRow(dim);
  runProgram(backend, {
    name: 'ProcptLayerNormGradX',
    key: `tpr${tpr}`,
    bindings: [
      { name: 'dx', tensor: dx, write: true },
      { name: 'dy', tensor: dy },
      { name: 'x', tensor: x },
      { name: 'g', tensor: gamma },
      { name: 'mean', tensor: mean },
      { name: 'rstd', tensor: rstd },
    ],
    uniforms: [
      ['rows', 'u32', rows],
      ['dim', 'u32', dim],
    ],
    dispatch: grid(rows, WG / tpr),
    body: () =>
      rowKernel(
        tpr,
        /* wgsl */ `
  let at = r * D;
  let mu = mean[r];
  let rs = rstd[r];
  var s1 = 0.0;
  var s2 = 0.0;
  for (var j = t; j < D; j += TPR) {
    let gh = dy[at + j] * g[j];
    s1 += gh;
    s2 += gh * (x[at + j] - mu) * rs;
  }
  let m1 = reduce(lid, s1) / f32(D);
  let m2 = reduce(lid, s2) / f32(D);
  if (live) {
    for (var j = t; j < D; j += TPR) {
      let xh = (x[at + j] - mu) * rs;
      dx[at + j] = rs * (dy[at + j] * g[j] - m1 - xh * m2);
    }
  }`,
      ),
  });
  const [dg, db] = columnSums(
    backend,
    'ProcptLayerNormGradParams',
    rows,
    dim,
    [
      { name: 'dy', tensor: dy },
      { name: 'x', tensor: x },
      { name: 'mean', tensor: mean },
      { name: 'rstd', tensor: rstd },
    ],
    2,
    /* wgsl */ `
fn value(row: u32, col: u32) -> vec2<f32> {
  let g = dy[row * u.dim + col];
  return vec2<f32>(g * (x[row * u.dim + col] - mean[row]) * rstd[row], g);
}`,
  );
  return [dx, dg!, db!];
}

const GELU_WGSL = /* wgsl */ `
const GELU_C = 0.7978845608028654;
const GELU_A = 0.044715;
${TANH_WGSL}`;

export function biasGeluForward(
  backend: WebGpuBackendInternals,
  x: TensorInfo,
  bias: TensorInfo,
): TensorInfo {
  const [rows, dim] = rowsOf(x);
  const y = alloc(backend, x.shape.slice());
  const n = rows * dim;
  runProgram(backend, {
    name: 'ProcptBiasGeluForward',
    key: '',
    bindings: [
      { name: 'y', tensor: y, write: true },
      { name: 'x', tensor: x },
      { name: 'bias', tensor: bias },
    ],
    uniforms: [
      ['n', 'u32', n],
      ['dim', 'u32', dim],
    ],
    dispatch: grid(n, 256),
    body: () => /* wgsl */ `
${GELU_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= u.n) {
    return;
  }
  let v = x[i] + bias[i % u.dim];
  let t = tanhApprox(GELU_C * (v + GELU_A * v * v * v));
  y[i] = 0.5 * v * (1.0 + t);
}
`,
  });
  return y;
}

export function biasGeluBackward(
  backend: WebGpuBackendInternals,
  dy: TensorInfo,
  x: TensorInfo,
  bias: TensorInfo,
): TensorInfo[] {
  const [rows, dim] = rowsOf(x);
  const dx = alloc(backend, x.shape.slice());
  const n = rows * dim;
  runProgram(backend, {
    name: 'ProcptBiasGeluGradX',
    key: '',
    bindings: [
      { name: 'dx', tensor: dx, write: true },
      { name: 'dy', tensor: dy },
      { name: 'x', tensor: x },
      { name: 'bias', tensor: bias },
    ],
    uniforms: [
      ['n', 'u32', n],
      ['dim', 'u32', dim],
    ],
    dispatch: grid(n, 256),
    body: () => /* wgsl */ `
${GELU_WGSL}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i >= u.n) {
    return;
  }
  let v = x[i] + bias[i % u.dim];
  let t = tanhApprox(GELU_C * (v + GELU_A * v * v * v));
  let dgelu = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_A * v * v);
  dx[i] = dy[i] * dgelu;
}
`,
  });
  const [db] = columnSums(
    backend,
    'ProcptBiasGeluGradBias',
    rows,
    dim,
    [{ name: 'dx', tensor: dx }],
    1,
    /* wgsl */ `
fn value(row: u32, col: u32) -> vec2<f32> {
  return vec2<f32>(dx[row * u.dim + col], 0.0);
}`,
  );
  return [dx, db!];
}
