// `ProcptMaskedCrossEntropy` on webgpu: Σᵢ wᵢ·CE(hᵢ·Wᵀ, tᵢ), the argmax hits, and (attr `withGrad`) dh, dW,
// without an [N, V] tensor: as procpt-native (fused.cc `masked_ce`), rows go in equal chunks whose logits
// [rows, V] stay within a budget (256 MiB, or the device's binding limit), and per chunk:
//   logits = h_c·Wᵀ                         tfjs-webgpu's BatchMatMul
//   row pass (one workgroup per row, the vocabulary in strides of 256 with a running max/argmax, then
//     Σ exp(z − max)): the row's weighted loss and hit, and G = (softmax − onehot)·w written over the logits
//   dh_c = G·W,  dW += Gᵀ·h_c               BatchMatMul, then copied/added in place
// The loss and hit sums are reduced at the end in a fixed order (one workgroup), so they are deterministic.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  alloc,
  deviceLimit,
  grid,
  pow2Floor,
  release,
  runProgram,
  type WebGpuBackendInternals,
} from './program.js';

const WG = 256;
let budgetBytes = 256 * 1024 * 1024;

/** Sets the logits budget per chunk (bytes; tests use small ones to force several chunks). Returns the old one. */
export function setCrossEntropyBudget(bytes: number): number {
  const old = budgetBytes;
  budgetBytes = bytes;
  return old;
}

type MatMul = (args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: unknown;
  attrs: { transposeA: boolean; transposeB: boolean };
}) => TensorInfo;

function matMul(
  backend: WebGpuBackendInternals,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  const kernel = tf.getKernel('BatchMatMul', 'webgpu');
  if (!kernel) throw new Error('webgpu: no BatchMatMul kernel');
  return (kernel.kernelFunc as unknown as MatMul)({
    inputs: { a, b },
    backend,
    attrs: { transposeA, transposeB },
  });
}

/** `dst[dstOffset + i] = src[srcOffset + i]` (or `+=` with `add`) for i < n. */
function copy(
  backend: WebGpuBackendInternals,
  dst: TensorInfo,
  dstOffset: number,
  src: TensorInfo,
  srcOffset: number,
  n: number,
  add: boolean,
): void {
  runProgram(backend, {
    name: add ? 'ProcptAddInto' : 'ProcptCopyInto',
    key: '',
    bindings: [
      { name: 'dst', tensor: dst, write: true },
      { name: 'src', tensor: src },
    ],
    uniforms: [
      ['n', 'u32', n],
      ['dstOffset', 'u32', dstOffset],
      ['srcOffset', 'u32', srcOffset],
    ],
    dispatch: grid(n, WG),
    body: () => /* wgsl */ `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * ${WG}u + gid.x;
  if (i < u.n) {
    dst[u.dstOffset + i] ${add ? '+=' : '='} src[u.srcOffset + i];
  }
}
`,
  });
}

/**
 * The row pass over one chunk's logits [rows, V]: stats[row0 + i] (loss), stats[N + row0 + i] (hit); G in place.
 * TPR invocations per row (a power of two from 32 to 256, about V/8), 256/TPR rows per workgroup; each
 * invocation walks the vocabulary in strides of TPR with a running max/argmax, then Σ exp(z − max).
 */
function rowPass(
  backend: WebGpuBackendInternals,
  logits: TensorInfo,
  stats: TensorInfo,
  targets: TensorInfo,
  weights: TensorInfo,
  row0: number,
  rows: number,
  n: number,
  vocab: number,
  withGrad: boolean,
): void {
  const tpr = Math.min(WG, Math.max(32, pow2Floor(Math.ceil(vocab / 8))));
  runProgram(backend, {
    name: 'ProcptCrossEntropyRows',
    key: `grad${withGrad}_tpr${tpr}`,
    bindings: [
      { name: 'logits', tensor: logits, write: withGrad },
      { name: 'stats', tensor: stats, write: true },
      { name: 'targets', tensor: targets },
      { name: 'weights', tensor: weights },
    ],
    uniforms: [
      ['rows', 'u32', rows],
      ['row0', 'u32', row0],
      ['n', 'u32', n],
      ['V', 'u32', vocab],
    ],
    dispatch: grid(rows, WG / tpr),
    body: () => /* wgsl */ `
const TPR = ${tpr}u;
var<workgroup> rmax: array<f32, ${WG}>;
var<workgroup> rarg: array<u32, ${WG}>;
var<workgroup> rsum: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let lid = lid3.x;
  let t = lid % TPR;
  let base = lid - t;
  let row = (wid.y * nwg.x + wid.x) * ${WG / tpr}u + lid / TPR;
  let live = row < u.rows;
  let r = min(row, u.rows - 1u);
  let V = u.V;
  let at = r * V;
  // running maximum and its first index over this invocation's stride of the vocabulary
  var mx = -3.4e38;
  var arg = V;
  for (var j = t; j < V; j += TPR) {
    let z = logits[at + j];
    if (z > mx) {
      mx = z;
      arg = j;
    }
  }
  rmax[lid] = mx;
  rarg[lid] = arg;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      let om = rmax[lid + s];
      let oa = rarg[lid + s];
      if (om > rmax[lid] || (om == rmax[lid] && oa < rarg[lid])) {
        rmax[lid] = om;
        rarg[lid] = oa;
      }
    }
    workgroupBarrier();
  }
  let m = rmax[base];
  let best = rarg[base];
  var e = 0.0;
  for (var j = t; j < V; j += TPR) {
    e += exp(logits[at + j] - m);
  }
  rsum[lid] = e;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      rsum[lid] += rsum[lid + s];
    }
    workgroupBarrier();
  }
  let sum = rsum[base];
  let g = u.row0 + r;
  let wt = weights[g];
  let tgt = targets[g];
  let scored = wt != 0.0 && tgt >= 0 && u32(tgt) < V;
  if (live && t == 0u) {
    var loss = 0.0;
    var hit = 0.0;
    if (scored) {
      loss = wt * (log(sum) + m - logits[at + u32(tgt)]);
      hit = select(0.0, wt, best == u32(tgt));
    }
    stats[g] = loss;
    stats[u.n + g] = hit;
  }
  ${
    withGrad
      ? `// every invocation has read the target logit (above) before any overwrites it: barrier
  workgroupBarrier();
  if (live) {
    let sc = select(0.0, wt / sum, scored);
    for (var j = t; j < V; j += TPR) {
      let p = exp(logits[at + j] - m) * sc;
      logits[at + j] = select(p, p - wt, scored && j == u32(tgt));
    }
  }`
      : ''
  }
}
`,
  });
}

export function maskedCrossEntropy(
  backend: WebGpuBackendInternals,
  h: TensorInfo,
  w: TensorInfo,
  targets: TensorInfo,
  weights: TensorInfo,
  withGrad: boolean,
): TensorInfo[] {
  const [n, d] = h.shape as [number, number];
  const vocab = w.shape[0]!;
  if (n === 0) {
    const empty = [alloc(backend, []), alloc(backend, [])];
    for (const t of empty) zero(backend, t, 1);
    if (!withGrad) return empty;
    const dw = alloc(backend, [vocab, d]);
    zero(backend, dw, vocab * d);
    return [...empty, alloc(backend, [0, d]), dw];
  }
  const limit = Math.min(
    budgetBytes,
    deviceLimit(backend, 'maxStorageBufferBindingSize', 128 * 1024 * 1024),
    deviceLimit(backend, 'maxBufferSize', 256 * 1024 * 1024),
  );
  const maxRows = Math.max(1, Math.floor(limit / 4 / Math.max(1, vocab)));
  const chunks = Math.max(1, Math.ceil(n / maxRows));
  const chunk = Math.ceil(n / chunks);
  const stats = alloc(backend, [2 * n]);
  const dh = withGrad ? alloc(backend, [n, d]) : null;
  let dw: TensorInfo | null = null;
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const c = Math.min(chunk, n - r0);
    let hc = h;
    if (c !== n) {
      hc = alloc(backend, [c, d]);
      copy(backend, hc, 0, h, r0 * d, c * d, false);
    }
    const logits = matMul(backend, hc, w, false, true);
    rowPass(backend, logits, stats, targets, weights, r0, c, n, vocab, withGrad);
    if (dh) {
      const dhc = matMul(backend, logits, w, false, false);
      copy(backend, dh, r0 * d, dhc, 0, c * d, false);
      const dwc = matMul(backend, logits, hc, true, false);
      if (dw === null) dw = dwc;
      else {
        copy(backend, dw, 0, dwc, 0, vocab * d, true);
        release(backend, dwc);
      }
      release(backend, dhc);
    }
    release(backend, logits);
    if (hc !== h) release(backend, hc);
  }
  const loss = alloc(backend, []);
  const correct = alloc(backend, []);
  runProgram(backend, {
    name: 'ProcptCrossEntropySum',
    key: '',
    bindings: [
      { name: 'loss', tensor: loss, write: true },
      { name: 'correct', tensor: correct, write: true },
      { name: 'stats', tensor: stats },
    ],
    uniforms: [['n', 'u32', n]],
    dispatch: [1, 1, 1],
    body: () => /* wgsl */ `
var<workgroup> r0: array<f32, ${WG}>;
var<workgroup> r1: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>) {
  let t = lid3.x;
  var a = 0.0;
  var b = 0.0;
  for (var i = t; i < u.n; i += ${WG}u) {
    a += stats[i];
    b += stats[u.n + i];
  }
  r0[t] = a;
  r1[t] = b;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s >>= 1u) {
    if (t < s) {
      r0[t] += r0[t + s];
      r1[t] += r1[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    loss[0] = r0[0];
    correct[0] = r1[0];
  }
}
`,
  });
  release(backend, stats);
  return dh && dw ? [loss, correct, dh, dw] : [loss, correct];
}

function zero(backend: WebGpuBackendInternals, t: TensorInfo, n: number): void {
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
