#!/usr/bin/env node
// Bit-identity check of two builds of the native addon: runs every addon function on fixed pseudo-random inputs
// (shapes with SIMD tails, sizes above the threading grain, every transpose and broadcast case, attention on both
// head-size paths with and without dropout) and prints one SHA-256 prefix of the output bytes per case.
// Diff the output of two builds:
//   node bench/kernel-digest.mjs native/build/Release/procpt_native.node > a.txt
//   node bench/kernel-digest.mjs prebuilds/linux-x64/procpt_native.node > b.txt && diff a.txt b.txt
// A second argument picks the CPU tier of a multi-tier build (avx512, avx2, base), to compare it with a
// single-tier build for that ISA (e.g. an older build made with -march=x86-64-v3).
// DIGEST_DUMP=<dir> also writes each case's output bytes there (<case>.bin), to compare builds for another CPU
// (e.g. the linux-arm64 prebuilt under qemu-aarch64) numerically rather than bit for bit.
// Env: DIGEST_THREADS (default 2; the partial sums of some kernels follow the thread count).
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const [file, isa] = process.argv.slice(2);
if (!file) {
  console.error('usage: kernel-digest.mjs <path to procpt_native.node> [avx512|avx2|base]');
  process.exit(2);
}
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const addon = createRequire(import.meta.url)(resolve(file));
if (isa !== undefined && !addon.setIsa?.(isa)) {
  console.error(
    `${file} has no ${isa} tier this CPU runs (it has: ${addon.info().isas?.join(', ') ?? 'one'})`,
  );
  process.exit(2);
}
addon.setThreads(Number(process.env.DIGEST_THREADS ?? 2));
console.error(`kernels: ${addon.info().isaLabel ?? (addon.info().avx2 ? 'AVX2/FMA' : 'portable')}`);

let seed = 12345;
function rand(n, lo = -2, hi = 2) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((seed >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
const ints = (n, max) => Int32Array.from(rand(n, 0, max), (x) => Math.floor(x));
const digest = (...arrays) => {
  const h = createHash('sha256');
  for (const a of arrays) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex').slice(0, 16);
};
const dump = process.env.DIGEST_DUMP;
if (dump) mkdirSync(dump, { recursive: true });
const show = (name, ...arrays) => {
  console.log(`${name.padEnd(44)} ${digest(...arrays)}`);
  if (!dump) return;
  const parts = arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  writeFileSync(join(dump, `${name.replace(/[^\w.-]+/g, '_')}.bin`), Buffer.concat(parts));
};

// GEMM: every transpose, tails in M, N and K, K over one 256 block, single- and multi-threaded sizes, broadcast batch.
for (const [batch, M, N, K] of [
  [3, 37, 53, 29],
  [1, 200, 300, 270],
  [2, 7, 1000, 64],
]) {
  for (const ta of [0, 1])
    for (const tb of [0, 1]) {
      const a = rand(batch * M * K);
      const b = rand(K * N);
      const c = new Float32Array(batch * M * N);
      addon.matmul(a, b, c, batch, M, N, K, ta, tb, M * K, 0);
      show(`matmul ${batch}x${M}x${N}x${K} t${ta}${tb}`, c);
    }
}
{
  const [M, N, K] = [50, 70, 300];
  const a = rand(M * K);
  const b = rand(K * N);
  const c = rand(M * N);
  addon.gemm(0, 1, M, N, K, 0.7, a, K, b, K, 0.3, c, N);
  show('gemm alpha 0.7 beta 0.3', c);
}

// Elementwise, with broadcasting along the inner and outer axes.
{
  const [R, C] = [130, 257];
  const a = rand(R * C);
  const b = rand(R * C, 0.5, 2);
  const row = rand(C, 0.5, 2);
  const col = rand(R);
  const shape = Int32Array.of(R, C);
  for (let op = 0; op <= 6; op++) {
    const out = new Float32Array(R * C);
    addon.binary(op, out, a, b, shape, Int32Array.of(C, 1), Int32Array.of(C, 1), 2);
    const out2 = new Float32Array(R * C);
    addon.binary(op, out2, a, row, shape, Int32Array.of(C, 1), Int32Array.of(0, 1), 2);
    const out3 = new Float32Array(R * C);
    addon.binary(op, out3, col, b, shape, Int32Array.of(1, 0), Int32Array.of(C, 1), 2);
    show(`binary op ${op}`, out, out2, out3);
  }
  const n = 40_003;
  const x = rand(n, -6, 6);
  const pos = rand(n, 0.01, 9);
  for (let op = 0; op <= 11; op++) {
    const out = new Float32Array(n);
    addon.unary(op, out, [3, 4, 7, 9].includes(op) ? pos : x, n, 0.37);
    show(`unary op ${op}`, out);
  }
  for (const cols of [77, 1000]) {
    const rows = 33;
    const xs = rand(rows * cols, -8, 8);
    const out = new Float32Array(rows * cols);
    addon.softmax(out, xs, rows, cols);
    show(`softmax ${rows}x${cols}`, out);
    for (let op = 0; op <= 3; op++) {
      const r = new Float32Array(rows);
      addon.reduceRows(op, r, xs, rows, cols);
      show(`reduceRows op ${op} ${rows}x${cols}`, r);
    }
  }
  const big = rand(300 * 129);
  const sc = new Float32Array(129);
  addon.sumCols(sc, big, 300, 129);
  show('sumCols 300x129', sc);
  const t = new Float32Array(big.length);
  addon.transpose(t, big, Int32Array.of(4, 75, 129), Int32Array.of(2, 0, 1), 3);
  show('transpose [4,75,129] (2,0,1)', t);
  const sl = new Float32Array(2 * 40 * 100);
  addon.copyBlock(
    sl,
    Int32Array.of(2, 40, 100),
    Int32Array.of(0, 0, 0),
    big,
    Int32Array.of(4, 75, 129),
    Int32Array.of(1, 10, 5),
    Int32Array.of(2, 40, 100),
    3,
  );
  show('copyBlock', sl);
  const idx = ints(500, 300);
  const g = new Float32Array(500 * 129);
  addon.gatherRows(g, big, idx, 500, 300, 129);
  show('gatherRows', g);
  const seg = new Float32Array(64 * 129);
  addon.segmentSumRows(seg, big, ints(300, 64), 300, 64, 129);
  show('segmentSumRows', seg);
}

// Optimizer passes.
{
  const n = 70_001;
  const p = rand(n);
  const g = rand(n);
  const m = rand(n, -0.1, 0.1);
  const v = rand(n, 0, 0.1);
  addon.adamw(p, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.19, 0.002, 0.8);
  show('adamw', p, m, v);
  const norm = addon.sumSquares([p, g, rand(1000), rand(3)]);
  show('sumSquares', Float64Array.of(norm));
}

// Fused kernels: attention on the small-head (dh < 16) and GEMM (dh >= 16) paths, with and without dropout.
for (const [B, T, H, dh] of [
  [2, 37, 3, 8],
  [2, 70, 2, 32],
  [1, 300, 1, 16],
]) {
  for (const dropout of [0, 0.1]) {
    const d = H * dh;
    const qkv = rand(B * T * 3 * d);
    const out = new Float32Array(B * T * d);
    const probs = new Float32Array(B * H * T * T);
    const scale = 1 / Math.sqrt(dh);
    addon.attentionForward(qkv, out, probs, B, T, H, dh, scale, dropout, 42);
    const dy = rand(B * T * d);
    const dqkv = new Float32Array(qkv.length);
    addon.attentionBackward(dy, qkv, probs, dqkv, B, T, H, dh, scale, dropout, 42);
    show(`attention ${B}x${T}x${H}x${dh} dropout ${dropout}`, out, probs, dqkv);
  }
}
{
  const mask = new Float32Array(2 * 3 * 37 * 37);
  addon.attentionDropoutMask(mask, 2, 3, 37, 0.25, 7);
  show('attentionDropoutMask', mask);
  for (const [rows, D] of [
    [37, 24],
    [700, 129],
  ]) {
    const x = rand(rows * D);
    const gamma = rand(D);
    const beta = rand(D);
    const y = new Float32Array(rows * D);
    const mean = new Float32Array(rows);
    const rstd = new Float32Array(rows);
    addon.layerNormForward(x, gamma, beta, y, mean, rstd, rows, D, 1e-5);
    const dy = rand(rows * D);
    const dx = new Float32Array(rows * D);
    const dg = new Float32Array(D);
    const db = new Float32Array(D);
    addon.layerNormBackward(dy, x, gamma, mean, rstd, dx, dg, db, rows, D);
    show(`layerNorm ${rows}x${D}`, y, mean, rstd, dx, dg, db);
    const bias = rand(D);
    const gy = new Float32Array(rows * D);
    addon.biasGeluForward(x, bias, gy, rows, D);
    const gdx = new Float32Array(rows * D);
    const gdb = new Float32Array(D);
    addon.biasGeluBackward(dy, x, bias, gdx, gdb, rows, D);
    show(`biasGelu ${rows}x${D}`, gy, gdx, gdb);
  }
  for (const [N, V, d, chunk] of [
    [61, 67, 24, 0],
    [300, 257, 64, 100],
  ]) {
    const h = rand(N * d);
    const w = rand(V * d, -0.5, 0.5);
    const targets = ints(N, V);
    targets[3] = -1;
    const weights = rand(N, 0, 1);
    weights[5] = 0;
    const lc = new Float64Array(2);
    const dh = new Float32Array(N * d);
    const dw = new Float32Array(V * d);
    // one thread: with several chunks the OpenMP reduction adds the threads' partial losses to the running sum in
    // the order they finish, so at 2+ threads the loss of a multi-chunk call is not reproducible bit for bit
    addon.setThreads(1);
    addon.maskedCrossEntropy(h, w, targets, weights, N, V, d, lc, dh, dw, chunk);
    addon.setThreads(Number(process.env.DIGEST_THREADS ?? 2));
    show(`maskedCrossEntropy ${N}x${V}x${d} chunk ${chunk}`, lc, dh, dw);
  }
}
