import type { Batch } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import type { Gpt } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { type FusedOptimizer, globalNormClip } from './adamw.js';

/** Number of scored targets of a packed batch: `loss[:, 1:]` set (position 0 is never a target). */
export function scoredTargets(batch: Batch): number {
  let n = 0;
  for (let r = 0; r < batch.batch; r++) {
    const row = r * batch.length;
    for (let i = 1; i < batch.length; i++) n += batch.loss[row + i]!;
  }
  return n;
}

/** The gradients of one optimizer step, ready for AdamW. Tensors are owned by the caller. */
export interface StepGradients {
  /** Gradient per trained parameter name. */
  grads: Record<string, tf.Tensor>;
  /** Mean loss over every scored target of the step's micro-batches. */
  loss: tf.Scalar;
  /** Global gradient norm before clipping, and the clip factor to apply. */
  norm: tf.Scalar;
  scale: tf.Scalar;
  /** Scored targets in the step. */
  scored: number;
}

/**
 * Forward + backward over the micro-batches of one optimizer step. Each micro-batch's mean loss
 * is weighted by its share of the step's scored targets, so accumulating k micro-batches gives the
 * gradient of the mean over all of them — the same as one batch k times larger. `fusedOptimizer`
 * computes the gradient norm while its backend is active (see {@link globalNormClip}).
 */
export function computeGradients(
  model: Gpt,
  micro: readonly Batch[],
  trained: readonly string[],
  options: {
    maxNorm: number | null;
    dropoutSeeds: readonly number[];
    training: boolean;
    fusedOptimizer?: FusedOptimizer | undefined;
  },
): StepGradients {
  const counts = micro.map(scoredTargets);
  const scored = counts.reduce((a, b) => a + b, 0);
  if (scored === 0) {
    throw new ProcptError('data', 'a training step has no scored target (every loss mask is 0)', {
      hint: 'check the data source: its loss masks must mark the tokens to predict',
    });
  }
  const vars = trained.map((n) => model.param(n));
  const byVarName = new Map(vars.map((v, i) => [v.name, trained[i]!]));
  let grads: Record<string, tf.Tensor> | undefined;
  let loss: tf.Scalar | undefined;
  micro.forEach((batch, i) => {
    const weight = counts[i]! / scored;
    if (weight === 0) return;
    const step = tf.tidy(() => {
      const tokens = tf.tensor2d(batch.tokens, [batch.batch, batch.length], 'int32');
      const mask = tf.tensor2d(batch.loss, [batch.batch, batch.length], 'int32');
      const out = tf.variableGrads(
        () =>
          model.loss(tokens, mask, { training: options.training, dropoutSeed: options.dropoutSeeds[i] ?? 0 }),
        vars,
      );
      const named: Record<string, tf.Tensor> = {};
      for (const [varName, g] of Object.entries(out.grads)) {
        const name = byVarName.get(varName);
        if (name === undefined) throw new ProcptError('runtime', `gradient for unknown variable ${varName}`);
        named[name] = weight === 1 ? g : tf.mul(g, weight);
      }
      return { grads: named, loss: (weight === 1 ? out.value : tf.mul(out.value, weight)) as tf.Scalar };
    });
    if (!grads || !loss) {
      grads = step.grads;
      loss = step.loss;
      return;
    }
    const prev = grads;
    const prevLoss = loss;
    grads = tf.tidy(() => Object.fromEntries(trained.map((n) => [n, tf.add(prev[n]!, step.grads[n]!)])));
    loss = tf.tidy(() => tf.add(prevLoss, step.loss) as tf.Scalar);
    tf.dispose([...Object.values(prev), prevLoss, ...Object.values(step.grads), step.loss]);
  });
  const { norm, scale } = globalNormClip(grads!, options.maxNorm, options.fusedOptimizer);
  return { grads: grads!, loss: loss!, norm, scale, scored };
}
