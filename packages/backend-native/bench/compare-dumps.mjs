#!/usr/bin/env node
// Compares two DIGEST_DUMP directories of bench/kernel-digest.mjs numerically: for every case, the largest
// |a - b| relative to the largest |a| (float32 data; float64 for sumSquares and the first 16 bytes of
// maskedCrossEntropy). Exits 1 when a case differs by more than the tolerance (default 1e-5) or in NaN positions.
//   node bench/compare-dumps.mjs <dirA> <dirB> [tolerance]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [a, b, tol = '1e-5'] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: compare-dumps.mjs <dirA> <dirB> [tolerance]');
  process.exit(2);
}
function views(name, buf) {
  const bytes = new Uint8Array(buf).buffer;
  if (name.startsWith('sumSquares')) return [new Float64Array(bytes)];
  if (name.startsWith('maskedCrossEntropy'))
    return [new Float64Array(bytes.slice(0, 16)), new Float32Array(bytes.slice(16))];
  return [new Float32Array(bytes)];
}
let worst = 0;
let failed = 0;
const files = readdirSync(a).sort();
for (const f of files) {
  const x = views(f, readFileSync(join(a, f)));
  const y = views(f, readFileSync(join(b, f)));
  let err = 0;
  let scale = 0;
  let nan = 0;
  for (let k = 0; k < x.length; k++)
    for (let i = 0; i < x[k].length; i++) {
      const p = x[k][i];
      const q = y[k][i];
      if (Number.isNaN(p) || Number.isNaN(q)) {
        if (Number.isNaN(p) !== Number.isNaN(q)) nan++;
        continue;
      }
      scale = Math.max(scale, Math.abs(p));
      err = Math.max(err, Math.abs(p - q));
    }
  const rel = scale > 0 ? err / scale : err;
  worst = Math.max(worst, rel);
  if (rel > Number(tol) || nan > 0) {
    failed++;
    console.log(`${f}: relative difference ${rel.toExponential(2)}${nan ? `, ${nan} NaN mismatches` : ''}`);
  }
}
console.log(
  `${files.length} cases, largest relative difference ${worst.toExponential(2)} (tolerance ${tol})`,
);
process.exit(failed ? 1 : 0);
