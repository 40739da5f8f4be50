import type { BatchOptions, CursorBatch, DataSource } from '@procpt/core';
import { type GptConfig, Gpt, gptConfig, parameterCount } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendPreference, type BackendReport, fusedOptimizerFor, selectBackend } from './backends.js';
import { assertFitsInMemory, defaultMemoryLimit, estimateTrainingMemory } from './memory.js';
import { Trainer } from './trainer.js';

/** Options of {@link benchTrain}. */
export interface BenchTrainOptions {
  /** `nLayer_nHead_dModel`, default `2_4_128`. */
  size?: string;
  vocab?: number;
  /** Tokens per row (model inputs are `context`, rows are `context + 1`). */
  context?: number;
  batch?: number;
  /** Timed steps (after `warmup` untimed ones). */
  steps?: number;
  warmup?: number;
  backend?: BackendPreference;
  /** Threads of procpt-native / wasm (see `SelectOptions.threads`); default: the backend's own default. */
  threads?: number;
  /** Peak FLOP/s for MFU; default: a dense matmul measured on the same backend. */
  peakFlops?: number;
  /**
   * Also time the bare model step, interleaved, to report the trainer's overhead (default true). Off halves
   * the bench's time, which matters at sizes where a step takes seconds (GPT-2 small on a CPU).
   */
  bare?: boolean;
}

/** What {@link benchTrain} measured. */
export interface BenchTrainResult {
  backend: string;
  device: 'gpu' | 'cpu';
  /** Full trainer step (data, AdamW, clipping, metrics, guards), median. */
  tokensPerSecond: number;
  msPerStep: number;
  mfu: number;
  peakFlops: number;
  peakSource: 'given' | 'measured-matmul';
  /** Bare model step: `tf.train.adam().minimize(model.loss)` on the same shapes, median (NaN with `bare: false`). */
  bareMsPerStep: number;
  /** Median over interleaved step pairs of `trainer / bare - 1` (NaN with `bare: false`). */
  trainerOverhead: number;
  /** Model FLOPs of one trained token (`trainingFlopsPerToken`), the MFU numerator per token. */
  flopsPerToken: number;
  /** Final training loss (a sanity check that the step trains). */
  loss: number;
  shape: { size: string; vocab: number; context: number; batch: number; steps: number };
  report: BackendReport;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Model FLOPs per trained token, the nanoGPT / PaLM (Chowdhery et al. 2022, appendix B) estimate:
 * `6·N + 12·L·d·T`, where N counts the weights that take part in matmuls — every block parameter, the final
 * LayerNorm and the LM head (`V·d`, tied or not) — but not the position embeddings nor an untied input
 * embedding, which are table lookups. 6 = 2 (multiply-add) × 3 (forward, backward w.r.t. inputs and weights);
 * 12·L·d·T covers the attention scores QKᵀ and the mixing PV, forward and backward.
 */
export function trainingFlopsPerToken(config: GptConfig, contextLength: number): number {
  const d = config.dModel;
  const lookups = config.nPositions * d + (config.tied ? 0 : config.vocabSize * d);
  return 6 * (parameterCount(config) - lookups) + 12 * config.nLayer * d * contextLength;
}

/** Synthetic data: `next = (7·tok + 3) mod V` rows, every target scored, cursor `{index}`. */
export function syntheticSource(vocab: number): DataSource {
  return {
    describe: () => ({ kind: 'synthetic-affine', vocabSize: vocab }),
    async *batches(options: BatchOptions): AsyncIterable<CursorBatch> {
      let index = typeof options.cursor?.index === 'number' ? options.cursor.index : 0;
      for (;;) {
        const tokens = new Int32Array(options.batch * options.length);
        const loss = new Uint8Array(options.batch * options.length).fill(1);
        for (let r = 0; r < options.batch; r++, index++) {
          let tok = (Math.imul(index + 1, 2654435761) >>> 0) % vocab;
          for (let i = 0; i < options.length; i++) {
            tokens[r * options.length + i] = tok;
            tok = (7 * tok + 3) % vocab;
          }
          loss[r * options.length] = 0;
        }
        yield { tokens, loss, batch: options.batch, length: options.length, cursor: { index } };
      }
    },
  };
}

/** Dense-matmul FLOP/s of the active backend (a practical peak for MFU on CPUs). */
export async function measureMatmulFlops(n = 512, reps = 4): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const warm = tf.matMul(a, b);
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  }
  const s = (performance.now() - t0) / 1000;
  tf.dispose([a, b]);
  return (2 * n * n * n * reps) / s;
}

/**
 * Benchmarks one training step on the given shapes: the bare model step (stock tfjs Adam over
 * `model.loss`) and the full {@link Trainer} step (data source, AdamW, global-norm clipping,
 * metrics, guards), both medians after warm-up, and the trainer's overhead over the bare step.
 */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<BenchTrainResult> {
  const size = options.size ?? '2_4_128';
  const vocab = options.vocab ?? 64;
  const context = options.context ?? 128;
  const batch = options.batch ?? 16;
  const steps = options.steps ?? 10;
  const warmup = options.warmup ?? 2;
  const withBare = options.bare ?? true;
  const report = await selectBackend(
    options.backend ?? 'auto',
    options.threads !== undefined ? { threads: options.threads } : {},
  );
  const config = gptConfig(size, { vocabSize: vocab, nPositions: context, dropout: 0 });
  const length = context + 1;
  const stepTokens = batch * context;
  // train's estimate, before any model exists; the bare step holds a second model and its Adam state
  const estimate = estimateTrainingMemory(config, { batchSize: batch, length, accumulation: 1 });
  const needed = withBare
    ? { ...estimate, state: 2 * estimate.state, total: estimate.total + estimate.state }
    : estimate;
  assertFitsInMemory(
    needed,
    defaultMemoryLimit(report.name),
    `bench train ${size}`,
    'choose a smaller --size, --vocab, --context or --batch',
  );

  // The bare step (stock tfjs Adam over model.loss) runs interleaved with the trainer's steps,
  // from inside onStep, so both see the same machine load; its time is subtracted from the
  // trainer's step-to-step interval.
  const bare = withBare ? Gpt.create(config, { seed: 1 }) : undefined;
  const adam = tf.train.adam(1e-3);
  const vars = bare ? [...bare.params.values()] : [];
  const it = syntheticSource(vocab).batches({ batch, length })[Symbol.asyncIterator]();
  const bareStep = async (): Promise<number> => {
    const b = (await it.next()).value as CursorBatch;
    const t0 = performance.now();
    const tokens = tf.tensor2d(b.tokens, [batch, length], 'int32');
    const mask = tf.tensor2d(b.loss, [batch, length], 'int32');
    const loss = adam.minimize(() => (bare as Gpt).loss(tokens, mask), true, vars);
    await loss?.data();
    tf.dispose([tokens, mask, loss as tf.Tensor]);
    return performance.now() - t0;
  };
  const model = Gpt.create(config, { seed: 1 });
  const trainerTimes: number[] = [];
  const bareTimes: number[] = [];
  let last = 0;
  let lastBare = 0;
  let lastLoss = Number.NaN;
  const total = warmup + steps + 1;
  const trainer = new Trainer({
    model,
    data: syntheticSource(vocab),
    batchSize: batch,
    length,
    accumulation: 1,
    steps: total,
    trainable: [...model.params.keys()],
    optimizer: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, noDecay: [], gradClip: 1 },
    fusedOptimizer: await fusedOptimizerFor(report),
    schedule: { kind: 'constant', warmupSteps: 0, totalSteps: total, minLrRatio: 0.1, floor: 'clamp' },
    seed: 1,
    progress: false,
    onStep: async (m) => {
      const now = performance.now();
      lastLoss = m.loss;
      if (m.step > warmup + 1) {
        trainerTimes.push(now - last - lastBare);
        bareTimes.push(lastBare);
      }
      lastBare = withBare && m.step < total ? await bareStep() : 0;
      last = now;
    },
  });
  try {
    await trainer.run();
  } finally {
    trainer.dispose();
    model.dispose();
    await it.return?.();
    adam.dispose();
    bare?.dispose();
  }
  const msPerStep = median(trainerTimes);
  const tokensPerSecond = (stepTokens * 1000) / msPerStep;
  const peakFlops = options.peakFlops ?? (await measureMatmulFlops());
  const flops = trainingFlopsPerToken(config, context);
  const bareStats = withBare
    ? {
        bareMsPerStep: Number(median(bareTimes).toFixed(1)),
        trainerOverhead: Number(median(trainerTimes.map((t, i) => t / bareTimes[i]! - 1)).toFixed(4)),
      }
    : { bareMsPerStep: Number.NaN, trainerOverhead: Number.NaN };
  return {
    backend: report.name,
    device: report.device,
    tokensPerSecond: Math.round(tokensPerSecond),
    msPerStep: Number(msPerStep.toFixed(1)),
    mfu: Number(((flops * tokensPerSecond) / peakFlops).toFixed(4)),
    peakFlops: Math.round(peakFlops),
    peakSource: options.peakFlops ? 'given' : 'measured-matmul',
    ...bareStats,
    flopsPerToken: flops,
    loss: lastLoss,
    shape: { size, vocab, context, batch, steps },
    report,
  };
}
