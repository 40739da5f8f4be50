// Flash-style causal attention for `ProcptFusedAttention` / `ProcptFusedAttentionGrad` on webgpu.
//
// Forward: one workgroup per (query block, head, batch row), one invocation per query row. Keys and values
// stream through workgroup memory a tile at a time; each row keeps a running maximum, a running sum of
// exponentials and its unnormalised output (online softmax), so no [B, H, T, T] buffer is ever written.
// The second output is the state the gradient needs instead of procpt-native's probabilities: the output O
// ([B, T, d], a copy of y) followed by each row's log-sum-exp ([B, H, T]), one 1-D tensor.
//
// Backward (recomputes the probabilities from Q, K and the log-sum-exps):
//   1. D = rowsum(dO ⊙ O) per (b, h, i)                                  [B, H, T]
//   2. dK, dV: one invocation per key row, streaming query tiles (rows i ≥ j)
//   3. dQ:     one invocation per query row, streaming key tiles (keys j ≤ i)
// with P = exp(S·scale − lse), dP = dO·Vᵀ (⊙ the dropout multipliers), dS = P ⊙ (dP − D)·scale.
//
// Attention dropout (attrs `dropout` > 0, `seed`) draws procpt-native's stateless hash of (seed, b, h, i, j)
// (`DROPOUT_WGSL`), so both backends drop the same probabilities for the same seed.
import type { TensorInfo } from '@tensorflow/tfjs-core';
import {
  alloc,
  deviceLimit,
  pow2Floor,
  release,
  runProgram,
  type UniformValue,
  type WebGpuBackendInternals,
} from './program.js';
import { DROPOUT_WGSL, dropoutUniforms } from './wgsl.js';

/** The attention kernels' optional `dropout` rate (default 0) and integer `seed` attrs, checked as procpt-native does. */
export function dropoutAttrs(attrs: Record<string, unknown>): [number, number] {
  const rate = (attrs.dropout as number | undefined) ?? 0;
  const seed = (attrs.seed as number | undefined) ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`webgpu: attention dropout must be in [0, 1), got ${rate}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`webgpu: attention seed must be an integer, got ${seed}`);
  return [rate, seed];
}

interface Dims {
  b: number;
  t: number;
  h: number;
  d: number;
  dh: number;
}

function dims(qkv: TensorInfo, attrs: Record<string, unknown>): Dims {
  const [b, t, d3] = qkv.shape as [number, number, number];
  const h = attrs.nHead as number;
  const d = d3 / 3;
  if (qkv.shape.length !== 3 || !Number.isInteger(h) || h < 1 || d % h !== 0)
    throw new Error(`webgpu attention: qkv [${qkv.shape}] is not [B, T, 3·d] with d divisible by nHead=${h}`);
  return { b, t, h, d, dh: d / h };
}

/**
 * Tile sizes: `own` rows per workgroup (one invocation each) and `other` rows per streamed tile, the largest
 * powers of two (≤ 64, `own` ≤ T rounded up) whose workgroup memory `bytes(own, other)` fits the device.
 */
function tiles(
  backend: WebGpuBackendInternals,
  t: number,
  bytes: (own: number, other: number) => number,
): [number, number] {
  const storage = deviceLimit(backend, 'maxComputeWorkgroupStorageSize', 16384);
  const invocations = deviceLimit(backend, 'maxComputeInvocationsPerWorkgroup', 256);
  const maxOwn = Math.min(64, pow2Floor(invocations), Math.max(8, 2 ** Math.ceil(Math.log2(t))));
  for (let own = maxOwn; own >= 4; own /= 2)
    for (let other = 64; other >= 4; other /= 2) if (bytes(own, other) <= storage) return [own, other];
  throw new Error(`webgpu attention: no tile fits ${storage} bytes of workgroup memory`);
}

function attentionUniforms(x: Dims, rate: number, seed: number): UniformValue[] {
  const drop = dropoutUniforms(rate, seed);
  return [
    ['T', 'u32', x.t],
    ['H', 'u32', x.h],
    ['scale', 'f32', 1 / Math.sqrt(x.dh)],
    ['oSize', 'u32', x.b * x.t * x.d],
    ['keyLo', 'u32', drop.keyLo],
    ['keyHi', 'u32', drop.keyHi],
    ['threshold', 'u32', drop.threshold],
    ['invKeep', 'f32', drop.invKeep],
  ];
}

/** The dropout multiplier of (row base, key j) when dropping, else nothing (1). */
function keepExpr(dropping: boolean, rowBase: string, j: string): string {
  return dropping ? `dropKeep(${rowBase}, ${j})` : '1.0';
}

export function attentionForward(
  backend: WebGpuBackendInternals,
  qkv: TensorInfo,
  attrs: Record<string, unknown>,
): TensorInfo[] {
  const x = dims(qkv, attrs);
  const [rate, seed] = dropoutAttrs(attrs);
  const dropping = rate > 0;
  const { dh } = x;
  const [br, bc] = tiles(backend, x.t, (_own, other) => 2 * other * dh * 4);
  const y = alloc(backend, [x.b, x.t, x.d]);
  const aux = alloc(backend, [x.b * x.t * x.d + x.b * x.h * x.t]);
  runProgram(backend, {
    name: 'ProcptAttentionForward',
    key: `dh${dh}_br${br}_bc${bc}_drop${dropping}`,
    bindings: [
      { name: 'y', tensor: y, write: true },
      { name: 'aux', tensor: aux, write: true },
      { name: 'qkv', tensor: qkv },
    ],
    uniforms: attentionUniforms(x, rate, seed),
    dispatch: [Math.ceil(x.t / br), x.h, x.b],
    body: () => /* wgsl */ `
const DH = ${dh}u;
const BR = ${br}u;
const BC = ${bc}u;
var<workgroup> kt: array<f32, ${bc * dh}>;
var<workgroup> vt: array<f32, ${bc * dh}>;
${dropping ? DROPOUT_WGSL : ''}
@compute @workgroup_size(${br})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = u.T;
  let d = u.H * DH;
  let ld = 3u * d;
  let b = wid.z;
  let h = wid.y;
  let i0 = wid.x * BR;
  let i = i0 + lid.x;
  let valid = i < T;
  let rowBase = (b * u.H + h) * T + i;
  let qAt = (b * T + min(i, T - 1u)) * ld + h * DH;
  var q: array<f32, DH>;
  var acc: array<f32, DH>;
  for (var c = 0u; c < DH; c++) {
    q[c] = qkv[qAt + c];
    acc[c] = 0.0;
  }
  var m = -3.0e38;
  var l = 0.0;
  let keyEnd = min(T, i0 + BR);
  for (var j0 = 0u; j0 < keyEnd; j0 += BC) {
    for (var e = lid.x; e < BC * DH; e += BR) {
      let at = (b * T + min(j0 + e / DH, T - 1u)) * ld + h * DH + e % DH;
      kt[e] = qkv[at + d];
      vt[e] = qkv[at + 2u * d];
    }
    workgroupBarrier();
    if (valid && i >= j0) {
      let n = min(BC, i + 1u - j0);
      for (var jj = 0u; jj < n; jj++) {
        var s = 0.0;
        for (var c = 0u; c < DH; c++) {
          s += q[c] * kt[jj * DH + c];
        }
        s *= u.scale;
        if (s > m) {
          // the first key has nothing to rescale (and exp(-3e38 - s) might not be exactly 0)
          let corr = select(exp(m - s), 0.0, l == 0.0);
          l *= corr;
          for (var c = 0u; c < DH; c++) {
            acc[c] *= corr;
          }
          m = s;
        }
        let p = exp(s - m);
        l += p;
        let pv = p * ${keepExpr(dropping, 'rowBase', 'j0 + jj')};
        for (var c = 0u; c < DH; c++) {
          acc[c] += pv * vt[jj * DH + c];
        }
      }
    }
    workgroupBarrier();
  }
  if (valid) {
    let inv = 1.0 / l;
    let at = (b * T + i) * d + h * DH;
    for (var c = 0u; c < DH; c++) {
      let o = acc[c] * inv;
      y[at + c] = o;
      aux[at + c] = o;
    }
    aux[u.oSize + rowBase] = m + log(l);
  }
}
`,
  });
  return [y, aux];
}

export function attentionBackward(
  backend: WebGpuBackendInternals,
  dy: TensorInfo,
  qkv: TensorInfo,
  aux: TensorInfo,
  attrs: Record<string, unknown>,
): TensorInfo {
  const x = dims(qkv, attrs);
  const [rate, seed] = dropoutAttrs(attrs);
  const dropping = rate > 0;
  const { dh } = x;
  if (aux.shape.length !== 1 || aux.shape[0] !== x.b * x.t * x.d + x.b * x.h * x.t)
    throw new Error(
      `webgpu attention gradient: the saved state must be the webgpu forward's second output (got [${aux.shape}]; procpt-native's probabilities cannot be used here)`,
    );
  const uniforms = attentionUniforms(x, rate, seed);
  const rows = x.b * x.h * x.t;
  const delta = alloc(backend, [rows]);
  runProgram(backend, {
    name: 'ProcptAttentionGradDelta',
    key: `dh${dh}`,
    bindings: [
      { name: 'delta', tensor: delta, write: true },
      { name: 'dy', tensor: dy },
      { name: 'aux', tensor: aux },
    ],
    uniforms: [...uniforms, ['rows', 'u32', rows]],
    dispatch: [Math.ceil(x.t / 64), x.h, x.b],
    body: () => /* wgsl */ `
const DH = ${dh}u;
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let i = wid.x * 64u + lid.x;
  if (i >= u.T) {
    return;
  }
  let b = wid.z;
  let h = wid.y;
  let at = (b * u.T + i) * u.H * DH + h * DH;
  var s = 0.0;
  for (var c = 0u; c < DH; c++) {
    s += dy[at + c] * aux[at + c];
  }
  delta[(b * u.H + h) * u.T + i] = s;
}
`,
  });
  const dqkv = alloc(backend, [x.b, x.t, 3 * x.d]);
  // dK, dV: own = key rows (k, v kept in padded workgroup rows), other = streamed query rows (q, dO, lse, D)
  const [bk, bq] = tiles(backend, x.t, (own, other) => (2 * own * (dh + 1) + 2 * other * dh + 2 * other) * 4);
  runProgram(backend, {
    name: 'ProcptAttentionGradKV',
    key: `dh${dh}_bk${bk}_bq${bq}_drop${dropping}`,
    bindings: [
      { name: 'dqkv', tensor: dqkv, write: true },
      { name: 'dy', tensor: dy },
      { name: 'qkv', tensor: qkv },
      { name: 'aux', tensor: aux },
      { name: 'delta', tensor: delta },
    ],
    uniforms,
    dispatch: [Math.ceil(x.t / bk), x.h, x.b],
    body: () => /* wgsl */ `
const DH = ${dh}u;
const DP = ${dh + 1}u;
const BK = ${bk}u;
const BQ = ${bq}u;
var<workgroup> ks: array<f32, ${bk * (dh + 1)}>;
var<workgroup> vs: array<f32, ${bk * (dh + 1)}>;
var<workgroup> qt: array<f32, ${bq * dh}>;
var<workgroup> gt: array<f32, ${bq * dh}>;
var<workgroup> lt: array<f32, ${bq}>;
var<workgroup> dt: array<f32, ${bq}>;
${dropping ? DROPOUT_WGSL : ''}
@compute @workgroup_size(${bk})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = u.T;
  let d = u.H * DH;
  let ld = 3u * d;
  let b = wid.z;
  let h = wid.y;
  let bh = b * u.H + h;
  let j0 = wid.x * BK;
  let j = j0 + lid.x;
  let valid = j < T;
  let own = lid.x * DP;
  let kAt = (b * T + min(j, T - 1u)) * ld + h * DH;
  for (var c = 0u; c < DH; c++) {
    ks[own + c] = qkv[kAt + d + c];
    vs[own + c] = qkv[kAt + 2u * d + c];
  }
  var dk: array<f32, DH>;
  var dv: array<f32, DH>;
  for (var c = 0u; c < DH; c++) {
    dk[c] = 0.0;
    dv[c] = 0.0;
  }
  for (var i0 = (j0 / BQ) * BQ; i0 < T; i0 += BQ) {
    workgroupBarrier();
    for (var e = lid.x; e < BQ * DH; e += BK) {
      let i = min(i0 + e / DH, T - 1u);
      qt[e] = qkv[(b * T + i) * ld + h * DH + e % DH];
      gt[e] = dy[(b * T + i) * d + h * DH + e % DH];
    }
    for (var r = lid.x; r < BQ; r += BK) {
      let i = min(i0 + r, T - 1u);
      lt[r] = aux[u.oSize + bh * T + i];
      dt[r] = delta[bh * T + i];
    }
    workgroupBarrier();
    if (valid) {
      let first = select(0u, j - i0, j > i0);
      let end = min(BQ, T - i0);
      for (var r = first; r < end; r++) {
        var s = 0.0;
        var dp = 0.0;
        for (var c = 0u; c < DH; c++) {
          s += qt[r * DH + c] * ks[own + c];
          dp += gt[r * DH + c] * vs[own + c];
        }
        let p = exp(s * u.scale - lt[r]);
        let keep = ${keepExpr(dropping, 'bh * T + i0 + r', 'j')};
        let pv = p * keep;
        let ds = p * (dp * keep - dt[r]) * u.scale;
        for (var c = 0u; c < DH; c++) {
          dv[c] += pv * gt[r * DH + c];
          dk[c] += ds * qt[r * DH + c];
        }
      }
    }
  }
  if (valid) {
    let at = (b * T + j) * ld + h * DH;
    for (var c = 0u; c < DH; c++) {
      dqkv[at + d + c] = dk[c];
      dqkv[at + 2u * d + c] = dv[c];
    }
  }
}
`,
  });
  // dQ: own = query rows (q, dO in padded workgroup rows), other = streamed key rows (k, v)
  const [bq2, bk2] = tiles(backend, x.t, (own, other) => (2 * own * (dh + 1) + 2 * other * dh) * 4);
  runProgram(backend, {
    name: 'ProcptAttentionGradQ',
    key: `dh${dh}_bq${bq2}_bk${bk2}_drop${dropping}`,
    bindings: [
      { name: 'dqkv', tensor: dqkv, write: true },
      { name: 'dy', tensor: dy },
      { name: 'qkv', tensor: qkv },
      { name: 'aux', tensor: aux },
      { name: 'delta', tensor: delta },
    ],
    uniforms,
    dispatch: [Math.ceil(x.t / bq2), x.h, x.b],
    body: () => /* wgsl */ `
const DH = ${dh}u;
const DP = ${dh + 1}u;
const BQ = ${bq2}u;
const BK = ${bk2}u;
var<workgroup> qs: array<f32, ${bq2 * (dh + 1)}>;
var<workgroup> gs: array<f32, ${bq2 * (dh + 1)}>;
var<workgroup> kt: array<f32, ${bk2 * dh}>;
var<workgroup> vt: array<f32, ${bk2 * dh}>;
${dropping ? DROPOUT_WGSL : ''}
@compute @workgroup_size(${bq2})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let T = u.T;
  let d = u.H * DH;
  let ld = 3u * d;
  let b = wid.z;
  let h = wid.y;
  let bh = b * u.H + h;
  let i0 = wid.x * BQ;
  let i = i0 + lid.x;
  let valid = i < T;
  let ir = min(i, T - 1u);
  let own = lid.x * DP;
  for (var c = 0u; c < DH; c++) {
    qs[own + c] = qkv[(b * T + ir) * ld + h * DH + c];
    gs[own + c] = dy[(b * T + ir) * d + h * DH + c];
  }
  let lse = aux[u.oSize + bh * T + ir];
  let di = delta[bh * T + ir];
  var dq: array<f32, DH>;
  for (var c = 0u; c < DH; c++) {
    dq[c] = 0.0;
  }
  let keyEnd = min(T, i0 + BQ);
  for (var j0 = 0u; j0 < keyEnd; j0 += BK) {
    workgroupBarrier();
    for (var e = lid.x; e < BK * DH; e += BQ) {
      let at = (b * T + min(j0 + e / DH, T - 1u)) * ld + h * DH + e % DH;
      kt[e] = qkv[at + d];
      vt[e] = qkv[at + 2u * d];
    }
    workgroupBarrier();
    if (valid && i >= j0) {
      let n = min(BK, i + 1u - j0);
      for (var jj = 0u; jj < n; jj++) {
        var s = 0.0;
        var dp = 0.0;
        for (var c = 0u; c < DH; c++) {
          s += qs[own + c] * kt[jj * DH + c];
          dp += gs[own + c] * vt[jj * DH + c];
        }
        let p = exp(s * u.scale - lse);
        let ds = p * (dp * ${keepExpr(dropping, 'bh * T + i', 'j0 + jj')} - di) * u.scale;
        for (var c = 0u; c < DH; c++) {
          dq[c] += ds * kt[jj * DH + c];
        }
      }
    }
  }
  if (valid) {
    let at = (b * T + i) * ld + h * DH;
    for (var c = 0u; c < DH; c++) {
      dqkv[at + c] = dq[c];
    }
  }
}
`,
  });
  release(backend, delta);
  return dqkv;
}
