#!/usr/bin/env node
// `pnpm bench` for @procpt/trainer-gpu: times a training step on every available backend next to
// a PyTorch CPU peer (tools/torch_bench.py, better of 1 and 2 threads) on the same shapes, and
// prints tokens/s ratios. Each backend runs in its own process. Needs a build (dist/).
// Env: BENCH_BACKENDS=wasm,cpu to restrict; PYTHON (default /usr/bin/python3).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SHAPE = { size: '2_4_128', vocab: 64, context: 128, batch: 16 };
// The pure-JS cpu backend takes ~10 s per step at this shape: time fewer steps there.
const STEPS = { cpu: { steps: 1, warmup: 1 }, default: { steps: 10, warmup: 2 } };
const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--one') {
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
  const { benchTrain } = await import('../dist/index.js');
  const backend = process.argv[3];
  const r = await benchTrain({ ...SHAPE, ...(STEPS[backend] ?? STEPS.default), backend });
  process.stdout.write(`${JSON.stringify({ ...r, report: undefined })}\n`);
  process.exit(0);
}

const { listBackends } = await import('../dist/index.js');
const wanted = process.env.BENCH_BACKENDS?.split(',');
const backends = (await listBackends({ probe: false }))
  .filter((b) => b.status === 'available' && (!wanted || wanted.includes(b.name)))
  .map((b) => b.name);

const python = process.env.PYTHON ?? '/usr/bin/python3';
const torch = [];
for (const threads of [1, 2]) {
  try {
    const out = execFileSync(
      python,
      [
        fileURLToPath(new URL('./torch_bench.py', import.meta.url)),
        SHAPE.size,
        ...[SHAPE.vocab, SHAPE.context, SHAPE.batch, 10, 2, threads].map(String),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    torch.push(JSON.parse(out.trim().split('\n').at(-1)));
  } catch (error) {
    console.error(`PyTorch peer (${python}, ${threads} thread(s)) failed: ${error.message.split('\n')[0]}`);
  }
}
const peer = torch.sort((a, b) => b.tokensPerSecond - a.tokensPerSecond)[0];

const rows = [];
for (const backend of backends) {
  const out = execFileSync(process.execPath, [self, '--one', backend], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  rows.push(JSON.parse(out.trim().split('\n').at(-1)));
}

console.log(`train step, ${SHAPE.size} V=${SHAPE.vocab} T=${SHAPE.context} B=${SHAPE.batch}`);
if (peer)
  console.log(
    `peer: PyTorch ${peer.torch} CPU, ${peer.threads} thread(s): ${peer.tokensPerSecond} tokens/s, ${peer.msPerStep} ms/step (best of 1 and 2 threads)`,
  );
console.log('backend          tokens/s   ms/step      MFU  trainer overhead  vs PyTorch');
for (const r of rows) {
  const ratio = peer ? `${(r.tokensPerSecond / peer.tokensPerSecond).toFixed(3)}x` : 'n/a';
  console.log(
    `${`${r.backend} (${r.device})`.padEnd(16)} ${String(r.tokensPerSecond).padStart(8)} ${r.msPerStep.toFixed(1).padStart(9)} ${(100 * r.mfu).toFixed(1).padStart(7)}% ${(100 * r.trainerOverhead).toFixed(1).padStart(15)}%  ${ratio.padStart(10)}`,
  );
}
console.log(
  'MFU is against a dense matmul measured on the same backend; trainer overhead is the full Trainer step over a bare tf.train.adam().minimize(model.loss) step, interleaved.',
);
