import { join } from 'node:path';
import type { Batch, CursorBatch, DataCursor } from '@procpt/core';
import { ProcptError, Progress, checkBatch } from '@procpt/core';
import { flopsPerToken, saveCheckpoint } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW } from './adamw.js';
import { checkpointName, pruneCheckpoints, saveTrainCheckpoint, type TrainState } from './checkpoints.js';
import {
  type CurriculumCheck,
  type EvalOptions,
  type TrainerOptions,
  type TrainingCurriculum,
  validateOptions,
} from './trainer-options.js';
import { type EvalMetrics, MetricsLog, memorySnapshot, mfu, type StepMetrics } from './metrics.js';
import { learningRate } from './schedule.js';
import { dropoutSeed, rngState } from './seeds.js';
import { computeGradients } from './step.js';

export type { CurriculumCheck, EvalOptions, TrainerOptions, TrainingCurriculum };

/** What to resume from: the saved state and AdamW moments. */
export interface ResumeState {
  state: TrainState;
  moments: Readonly<Record<string, tf.Tensor>>;
}

/** How a run ended. */
export interface TrainResult {
  state: TrainState;
  reason: 'completed' | 'early-stopped';
  lastCheckpoint: string | undefined;
  lastEval: EvalMetrics | undefined;
}

function freshState(seed: number): TrainState {
  return {
    step: 0,
    optimizerStep: 0,
    lr: 0,
    rng: rngState(seed),
    cursor: null,
    tokens: 0,
    bestEval: null,
    evalsWithoutImprovement: 0,
  };
}

/**
 * The training loop: AdamW with decoupled weight decay, global-norm clipping, gradient
 * accumulation, LR schedule, masked losses, frozen parameters, evaluation with early stopping,
 * atomic keep-last-K checkpoints that resume bit for bit, JSONL metrics, progress, NaN and
 * tensor-leak guards.
 */
export class Trainer {
  readonly optimizer: AdamW;
  private state: TrainState;
  private readonly log: MetricsLog | undefined;
  private evalCache: Batch[] | undefined;
  private lastCheckpoint: string | undefined;
  private leakBaseline: number | undefined;
  private leakWarned = false;

  constructor(
    private readonly options: TrainerOptions,
    resume?: ResumeState,
  ) {
    validateOptions(options);
    this.optimizer = new AdamW(
      options.model.params,
      options.trainable,
      options.optimizer,
      options.fusedOptimizer,
    );
    this.state = resume ? { ...resume.state } : freshState(options.seed);
    if (resume) this.optimizer.loadState(resume.moments, resume.state.optimizerStep);
    this.log = options.metricsPath ? new MetricsLog(options.metricsPath) : undefined;
  }

  /** The current train state (a copy). */
  get trainState(): TrainState {
    return { ...this.state };
  }

  /** Runs until `steps`, early stopping, NaN (throws `numeric`) or abort (throws `interrupted`). */
  async run(): Promise<TrainResult> {
    const o = this.options;
    await this.checkWeights();
    if (this.log && this.state.step > 0) await this.log.truncateAfter(this.state.step);
    const progress =
      o.progress === false
        ? undefined
        : new Progress({
            unit: 'steps',
            total: o.steps,
            label: 'train',
            ...(typeof o.progress === 'object' && o.progress.stream ? { stream: o.progress.stream } : {}),
          });
    progress?.update(this.state.step);
    const iterator = o.data
      .batches({
        batch: o.batchSize,
        length: o.length,
        ...(this.state.cursor ? { cursor: this.state.cursor } : {}),
      })
      [Symbol.asyncIterator]();
    let reason: TrainResult['reason'] = 'completed';
    let lastEval: EvalMetrics | undefined;
    try {
      while (this.state.step < o.steps) {
        const micro = await this.nextBatches(iterator);
        const rowLength = micro.batches[0]!.length;
        const stepTokens = micro.batches.reduce((n, b) => n + b.batch * b.length, 0);
        const t0 = performance.now();
        const { loss, gradNorm, lr, scored } = await this.step(micro.batches);
        const ms = performance.now() - t0;
        if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
          throw new ProcptError(
            'numeric',
            `training diverged at step ${this.state.step + 1}: loss ${loss}, gradient norm ${gradNorm}; the update was not applied`,
            {
              hint: `the last good checkpoint is ${this.lastCheckpoint ?? '(none written yet)'}; lower the learning rate or enable gradClip`,
            },
          );
        }
        this.state = {
          ...this.state,
          step: this.state.step + 1,
          optimizerStep: this.optimizer.t,
          lr,
          cursor: micro.cursor,
          tokens: this.state.tokens + stepTokens,
        };
        const tokensPerSecond = (stepTokens * 1000) / ms;
        const metrics: StepMetrics = {
          kind: 'train',
          step: this.state.step,
          loss,
          lr,
          gradNorm,
          stepTokens,
          tokens: this.state.tokens,
          scoredTargets: scored,
          msPerStep: Number(ms.toFixed(2)),
          tokensPerSecond: Math.round(tokensPerSecond),
          mfu: mfu(flopsPerToken(o.model.config, rowLength - 1), tokensPerSecond, o.peakFlops ?? null),
          memory: memorySnapshot(),
          time: new Date().toISOString(),
        };
        await this.log?.append(metrics);
        await o.onStep?.(metrics);
        progress?.update(this.state.step, `loss ${loss.toFixed(4)}  lr ${lr.toExponential(2)}`);
        this.checkLeaks();

        const done = this.state.step >= o.steps;
        if (o.curriculum && !done && this.state.step % o.curriculum.settings.every === 0) {
          const check = await o.curriculum.check(o.model, this.state.step);
          // The next batch starts the new stage: a checkpoint written now must resume there.
          if (check.next !== check.length) this.state = { ...this.state, cursor: o.curriculum.cursor() };
          await this.log?.append({ ...check });
          await o.onCurriculum?.(check);
          progress?.update(
            this.state.step,
            `curriculum length ${check.next} (accuracy ${check.accuracy.toFixed(3)})`,
          );
        }
        if (o.eval && (this.state.step % o.eval.every === 0 || done)) {
          lastEval = await this.evaluate();
          const { improved, exhausted } = this.noteEval(lastEval);
          if (improved && o.best) await this.saveBest(lastEval);
          if (exhausted) reason = 'early-stopped';
        }
        const aborted = o.signal?.aborted === true;
        const stopping = done || reason === 'early-stopped' || aborted;
        if (o.checkpoints && (stopping || this.state.step % o.checkpoints.every === 0))
          await this.checkpoint();
        if (aborted) {
          throw new ProcptError('interrupted', `training interrupted at step ${this.state.step}`, {
            hint: this.lastCheckpoint
              ? `resume from ${this.lastCheckpoint}`
              : 'no checkpoint directory configured',
          });
        }
        if (reason === 'early-stopped') break;
      }
    } finally {
      await iterator.return?.();
      progress?.stop();
    }
    return { state: this.trainState, reason, lastCheckpoint: this.lastCheckpoint, lastEval };
  }

  /**
   * Refuses to train from weights that hold NaN or ±Infinity (a checkpoint saved after a divergence,
   * a bad transfer): every step would report `loss NaN`. One reduction per parameter.
   */
  private async checkWeights(): Promise<void> {
    for (const [name, v] of this.options.model.params) {
      const ok = tf.tidy(() => tf.all(tf.isFinite(v)));
      const [finite] = await ok.data();
      ok.dispose();
      if (!finite) {
        throw new ProcptError(
          'data',
          `model weight ${name} holds NaN or infinite values; training would give loss NaN`,
          {
            hint: 'start from an earlier checkpoint or from scratch',
          },
        );
      }
    }
  }

  /** Frees the optimizer state (the model belongs to the caller). */
  dispose(): void {
    this.optimizer.dispose();
  }

  private async nextBatches(
    iterator: AsyncIterator<CursorBatch>,
  ): Promise<{ batches: CursorBatch[]; cursor: DataCursor }> {
    const batches: CursorBatch[] = [];
    for (let i = 0; i < this.options.accumulation; i++) {
      const next = await iterator.next();
      if (next.done) {
        throw new ProcptError('data', `the training data ran out at step ${this.state.step + 1}`, {
          hint: 'use an endless source (procgen) or fewer steps',
        });
      }
      const b = next.value;
      // A curriculum's rows grow up to `length`; every micro-batch of one step has the same length.
      const lengthOk = this.options.curriculum
        ? b.length >= 2 &&
          b.length <= this.options.length &&
          (batches.length === 0 || b.length === batches[0]!.length)
        : b.length === this.options.length;
      if (b.batch !== this.options.batchSize || !lengthOk) {
        throw new ProcptError(
          'data',
          `data source returned a [${b.batch}, ${b.length}] batch, expected [${this.options.batchSize}, ${this.options.length}]`,
        );
      }
      checkBatch(b, this.options.model.config.vocabSize, `training data, step ${this.state.step + 1}`);
      batches.push(b);
    }
    return { batches, cursor: batches.at(-1)!.cursor };
  }

  /**
   * One optimizer step; the update is applied only when loss and gradient norm are finite. Reads them
   * back asynchronously: the webgpu backend has no synchronous readback in Node.
   */
  private async step(
    micro: readonly Batch[],
  ): Promise<{ loss: number; gradNorm: number; lr: number; scored: number }> {
    const o = this.options;
    const lr = learningRate(o.optimizer.lr, o.schedule, this.state.step);
    const seeds = micro.map((_, i) => dropoutSeed(o.seed, this.state.step, i));
    const g = computeGradients(o.model, micro, o.trainable, {
      maxNorm: o.optimizer.gradClip,
      dropoutSeeds: seeds,
      training: o.dropout ?? true,
      fusedOptimizer: o.fusedOptimizer,
    });
    try {
      const both = tf.tidy(() => tf.stack([g.loss, g.norm]));
      const [loss, gradNorm] = Array.from(await both.data());
      both.dispose();
      if (Number.isFinite(loss) && Number.isFinite(gradNorm))
        this.optimizer.applyGradients(g.grads, lr, g.scale);
      return { loss: loss!, gradNorm: gradNorm!, lr, scored: g.scored };
    } finally {
      tf.dispose([...Object.values(g.grads), g.loss, g.norm, g.scale]);
    }
  }

  /** Masked loss, accuracy and perplexity on the first `batches` batches of the eval source. */
  async evaluate(): Promise<EvalMetrics> {
    const e = this.options.eval;
    if (!e) throw new ProcptError('usage', 'no eval source configured');
    if (!this.evalCache) {
      this.evalCache = [];
      for await (const b of e.source.batches({
        batch: this.options.batchSize,
        length: this.options.length,
      })) {
        checkBatch(
          b,
          this.options.model.config.vocabSize,
          `evaluation data, batch ${this.evalCache.length + 1}`,
        );
        this.evalCache.push(b);
        if (this.evalCache.length >= e.batches) break;
      }
    }
    let lossSum = 0;
    let count = 0;
    let correct = 0;
    for (const b of this.evalCache) {
      const tokens = tf.tensor2d(b.tokens, [b.batch, b.length], 'int32');
      const mask = tf.tensor2d(b.loss, [b.batch, b.length], 'int32');
      try {
        const r = await this.options.model.evaluate(tokens, mask);
        lossSum += r.lossSum;
        count += r.count;
        correct += r.correct;
      } finally {
        tf.dispose([tokens, mask]);
      }
    }
    const loss = count > 0 ? lossSum / count : Number.NaN;
    const record: EvalMetrics = {
      kind: 'eval',
      step: this.state.step,
      loss,
      accuracy: count > 0 ? correct / count : 0,
      perplexity: Math.exp(loss),
      count,
      time: new Date().toISOString(),
    };
    await this.log?.append(record);
    return record;
  }

  /** Updates the early-stopping counters: whether `r` is the best so far, and whether patience ran out. */
  private noteEval(r: EvalMetrics): { improved: boolean; exhausted: boolean } {
    const e = this.options.eval!;
    const value = e.metric === 'accuracy' ? r.accuracy : r.loss;
    const better =
      this.state.bestEval === null ||
      (e.metric === 'accuracy' ? value > this.state.bestEval : value < this.state.bestEval);
    this.state = better
      ? { ...this.state, bestEval: value, evalsWithoutImprovement: 0 }
      : { ...this.state, evalsWithoutImprovement: this.state.evalsWithoutImprovement + 1 };
    return {
      improved: better,
      exhausted: e.patience > 0 && this.state.evalsWithoutImprovement >= e.patience,
    };
  }

  /** Replaces the best-weights folder with the current weights (after an improving evaluation). */
  private async saveBest(r: EvalMetrics): Promise<void> {
    const b = this.options.best!;
    await saveCheckpoint(b.dir, this.options.model, { ...b.meta, step: r.step, eval: r });
  }

  /** Writes `checkpoints/step-XXXXXXXX` atomically and prunes to keep-last-K. */
  async checkpoint(): Promise<string> {
    const c = this.options.checkpoints;
    if (!c) throw new ProcptError('usage', 'no checkpoint directory configured');
    const dir = join(c.dir, checkpointName(this.state.step));
    await saveTrainCheckpoint(dir, this.options.model, this.optimizer, this.state, c.meta);
    this.lastCheckpoint = dir;
    await pruneCheckpoints(c.dir, c.keep);
    return dir;
  }

  /** numTensors must stay flat from step to step (baseline: after the first step). */
  private checkLeaks(): void {
    const n = tf.memory().numTensors;
    if (this.leakBaseline === undefined) {
      this.leakBaseline = n;
      return;
    }
    if (n <= this.leakBaseline) return;
    const message = `tensor leak: ${n - this.leakBaseline} more live tensors after step ${this.state.step} than after the first step`;
    if (this.options.debug)
      throw new ProcptError('runtime', message, { hint: 'a bug in procpt; please report it' });
    if (!this.leakWarned) (this.options.onWarn ?? ((m) => process.stderr.write(`warning: ${m}\n`)))(message);
    this.leakWarned = true;
    this.leakBaseline = n;
  }
}
