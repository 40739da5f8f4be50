#!/usr/bin/env node
// Speed of two builds of the addon, kernel by kernel, in one process: the calls alternate between the builds
// (A B, B A, ...) and each kernel's time is the minimum over the rounds, the figure least disturbed by other jobs
// on a shared machine. Prints both times and B/A.
//   node bench/ab-kernels.mjs <a.node> <b.node> [rounds=25]    Env: AB_THREADS (default 1)
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const [fa, fb, roundsArg = '25'] = process.argv.slice(2);
if (!fa || !fb) {
  console.error('usage: ab-kernels.mjs <a.node> <b.node> [rounds]');
  process.exit(2);
}
process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
const req = createRequire(import.meta.url);
const builds = [req(resolve(fa)), req(resolve(fb))];
const threads = Number(process.env.AB_THREADS ?? 1);
for (const b of builds) b.setThreads(threads);
const rounds = Number(roundsArg);

let seed = 7;
const rand = (n) => {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out[i] = (seed >>> 8) / 8388608 - 1;
  }
  return out;
};
// the 2_4_128 training shape of bench/train-bench.mjs: B=16, T=128, d=128, 4 heads, MLP 512, V=64
const [B, T, H, dh, V] = [16, 128, 4, 32, 64];
const d = H * dh;
const N = B * T;
const x = rand(N * d);
const qkv = rand(N * 3 * d);
const y = new Float32Array(N * d);
const probs = new Float32Array(B * H * T * T);
const dqkv = new Float32Array(qkv.length);
const g = rand(d);
const bias = rand(4 * d);
const h4 = rand(N * 4 * d);
const o4 = new Float32Array(N * 4 * d);
const mean = new Float32Array(N);
const rstd = new Float32Array(N);
const w = rand(V * d);
const targets = Int32Array.from({ length: N }, (_, i) => (i * 7) % V);
const ones = new Float32Array(N).fill(1);
const lc = new Float64Array(2);
const dh_ = new Float32Array(N * d);
const dw = new Float32Array(V * d);
const big = [rand(1024 * 3072), rand(3072 * 768), new Float32Array(1024 * 768)];
const sq = [rand(512 * 512), rand(512 * 512), new Float32Array(512 * 512)];
const fc = [rand(N * d), rand(d * 4 * d), new Float32Array(N * 4 * d)];
const sm = rand(8192 * 128); // probs has B*H*T*T = 8192*128 elements too
const p = rand(1 << 20);
const gr = rand(1 << 20);
const m = new Float32Array(1 << 20);
const v = new Float32Array(1 << 20);
const cases = {
  'matmul 512x512x512': (a) => a.matmul(sq[0], sq[1], sq[2], 1, 512, 512, 512, 0, 0, 0, 0),
  'matmul 1024x768x3072': (a) => a.matmul(big[0], big[1], big[2], 1, 1024, 768, 3072, 0, 0, 0, 0),
  'matmul 2048x512x128 (MLP fc)': (a) => a.matmul(fc[0], fc[1], fc[2], 1, N, 4 * d, d, 0, 0, 0, 0),
  'matmul 2048x128x512 (MLP proj)': (a) => a.matmul(fc[2], fc[1], fc[0], 1, N, d, 4 * d, 0, 1, 0, 0),
  'attention fwd 16x128x4x32': (a) => a.attentionForward(qkv, y, probs, B, T, H, dh, 0.17, 0, 0),
  'attention bwd 16x128x4x32': (a) => a.attentionBackward(x, qkv, probs, dqkv, B, T, H, dh, 0.17, 0, 0),
  'layerNorm fwd 2048x128': (a) => a.layerNormForward(x, g, g, y, mean, rstd, N, d, 1e-5),
  'layerNorm bwd 2048x128': (a) =>
    a.layerNormBackward(x, x, g, mean, rstd, dh_, new Float32Array(d), new Float32Array(d), N, d),
  'biasGelu fwd 2048x512': (a) => a.biasGeluForward(h4, bias, o4, N, 4 * d),
  'biasGelu bwd 2048x512': (a) => a.biasGeluBackward(h4, h4, bias, o4, new Float32Array(4 * d), N, 4 * d),
  'maskedCE + grads 2048x64x128': (a) => a.maskedCrossEntropy(x, w, targets, ones, N, V, d, lc, dh_, dw),
  'softmax 8192x128': (a) => a.softmax(probs, sm, 8192, 128),
  'exp 1M': (a) => a.unary(0, m, gr, 1 << 20, 0),
  'adamw 1M': (a) => a.adamw(p, gr, m, v, 1 << 20, 1e-3, 0.9, 0.999, 1e-8, 0.1, 0.1, 0.01, 1),
};
console.log(`threads ${threads}, ${rounds} alternating rounds, minimum time per call`);
console.log(`A: ${fa} (${builds[0].info().isaLabel ?? 'single-ISA build'})`);
console.log(`B: ${fb} (${builds[1].info().isaLabel ?? 'single-ISA build'})`);
let logSum = 0;
for (const [name, fn] of Object.entries(cases)) {
  const best = [Infinity, Infinity];
  for (let r = 0; r < rounds + 2; r++) {
    for (const k of r % 2 ? [1, 0] : [0, 1]) {
      const t0 = process.hrtime.bigint();
      fn(builds[k]);
      const dt = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r >= 2) best[k] = Math.min(best[k], dt); // two warm-up rounds
    }
  }
  logSum += Math.log(best[1] / best[0]);
  console.log(
    `${name.padEnd(30)} A ${best[0].toFixed(3).padStart(9)} ms  B ${best[1].toFixed(3).padStart(9)} ms  B/A ${(best[1] / best[0]).toFixed(3)}`,
  );
}
console.log(`geometric mean B/A ${Math.exp(logSum / Object.keys(cases).length).toFixed(3)}`);
