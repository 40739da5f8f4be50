import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone ships no gradients; training needs all of them registered (side effect).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { OPTIMIZER_KERNELS } from '@procpt/model/kernel-spec';
import { decays, type NoDecayKind } from './param-groups.js';

/** Hyperparameters of {@link AdamW} (PyTorch defaults). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay λ: `p ← p·(1 − lr·λ)` before the Adam step. */
  weightDecay: number;
  /** Parameter kinds exempt from weight decay. */
  noDecay: readonly NoDecayKind[];
}

/** PyTorch's AdamW defaults (β = 0.9/0.999, ε = 1e-8, λ = 0.01, decay on everything). */
export const ADAMW_DEFAULTS: AdamWOptions = {
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0.01,
  noDecay: [],
};

/** Hyperparameters of one fused update (the shape of `@procpt/backend-native`'s `adamwUpdate`). */
export interface FusedAdamWStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  step: number;
  /** Factor on the gradient before the moments (the clip factor), applied inside the pass. */
  gradScale: number;
}

/** An in-place AdamW update of one parameter (same maths as {@link AdamW.applyGradients}). */
export type FusedAdamWUpdate = (
  param: tf.Variable,
  grad: tf.Tensor,
  m: tf.Variable,
  v: tf.Variable,
  hp: FusedAdamWStep,
) => void;

/** The global L2 norm of gradients as a number, without tfjs temporaries (`@procpt/backend-native`'s `globalGradNorm`). */
export type FusedGradNorm = (grads: readonly tf.Tensor[]) => number;

/**
 * A backend's own optimizer passes: procpt-native's in-place AdamW update (one native pass per parameter, the clip
 * factor applied inside it) and gradient norm. `fusedOptimizerFor(report)` gives the selected backend's. {@link AdamW}
 * and `globalNormClip` use them only while `backend` is the active tfjs backend, and tfjs ops otherwise.
 */
export interface FusedOptimizer {
  /** The tfjs backend the passes work on. */
  backend: string;
  update: FusedAdamWUpdate;
  gradNorm: FusedGradNorm;
}

/** `fused` when its backend is the active one. */
function activeOn(fused: FusedOptimizer | undefined): FusedOptimizer | undefined {
  return fused && tf.getBackend() === fused.backend ? fused : undefined;
}

/** Whether the active backend registers optimizer kernel `name` (the webgpu backend's WGSL ones). */
function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Prefixes of the moment tensors in {@link AdamW.stateTensors} (PyTorch's state names). */
const M = 'optimizer.exp_avg.';
const V = 'optimizer.exp_avg_sq.';

/**
 * AdamW with decoupled weight decay on `tf.Variable`s, following `torch.optim.AdamW` operation for
 * operation (given procpt-native's {@link FusedOptimizer}, as one fused in-place native pass per parameter).
 * Moments are keyed by parameter NAME (never by position), created up front for every trained parameter, and
 * updated in place, so the state survives any reordering and round-trips through a checkpoint exactly.
 */
export class AdamW {
  /** Number of updates applied so far (PyTorch's `step`, used for bias correction). */
  t = 0;
  readonly names: readonly string[];
  private readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly decayed: ReadonlySet<string>;

  /**
   * @param params every parameter by name (e.g. `Gpt.params`)
   * @param trained names to update (frozen parameters are simply not listed)
   * @param fused the backend's fused update, used while its backend is active (see {@link FusedOptimizer})
   */
  constructor(
    params: ReadonlyMap<string, tf.Variable>,
    trained: readonly string[],
    readonly options: AdamWOptions = ADAMW_DEFAULTS,
    private readonly fused?: FusedOptimizer,
  ) {
    for (const name of trained) {
      if (!params.has(name))
        throw new ProcptError('config', `AdamW: no parameter named ${JSON.stringify(name)}`);
    }
    this.params = params;
    this.names = [...trained];
    this.decayed = new Set(trained.filter((n) => options.weightDecay !== 0 && decays(n, options.noDecay)));
    for (const name of trained) {
      const p = params.get(name)!;
      const zeros = tf.zerosLike(p);
      this.m.set(name, tf.variable(zeros, false));
      this.v.set(name, tf.variable(zeros, false));
      zeros.dispose(); // each variable holds its own reference to the data
    }
  }

  /** Names that receive weight decay. */
  decayedNames(): string[] {
    return this.names.filter((n) => this.decayed.has(n));
  }

  /**
   * One update with learning rate `lr`. `grads` holds a gradient for every trained name;
   * `gradScale` (a scalar tensor, e.g. the clipping factor) multiplies every gradient first.
   * Does not dispose `grads`.
   */
  applyGradients(grads: Readonly<Record<string, tf.Tensor>>, lr: number, gradScale?: tf.Scalar): void {
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.options;
    const native = activeOn(this.fused);
    if (native) {
      this.applyFused(native.update, grads, lr, gradScale);
      return;
    }
    if (hasKernel(OPTIMIZER_KERNELS.adamw)) {
      this.applyKernel(grads, lr, gradScale);
      return;
    }
    const stepSize = lr / (1 - beta1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    tf.tidy(() => {
      const b1 = tf.scalar(beta1);
      const b2 = tf.scalar(beta2);
      const oneMinusB1 = tf.scalar(1 - beta1);
      const oneMinusB2 = tf.scalar(1 - beta2);
      const keep = tf.scalar(1 - lr * weightDecay);
      const negStep = tf.scalar(-stepSize);
      const bc2 = tf.scalar(bc2Sqrt);
      const epsT = tf.scalar(eps);
      for (const name of this.names) {
        const raw = grads[name];
        if (!raw) throw new ProcptError('runtime', `AdamW: missing gradient for ${name}`);
        const g = gradScale ? tf.mul(raw, gradScale) : raw;
        const p = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, oneMinusB1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.mul(g, g), oneMinusB2)));
        const decayedP = this.decayed.has(name) ? tf.mul(p, keep) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), bc2), epsT);
        p.assign(tf.add(decayedP, tf.mul(tf.div(m, denom), negStep)));
      }
    });
  }

  private applyFused(
    update: FusedAdamWUpdate,
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
    gradScale: tf.Scalar | undefined,
  ): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    // the factor goes into the native pass (g·scale rounded to float32 there): no scaled copy of any gradient
    const scale = gradScale ? gradScale.dataSync()[0]! : 1;
    for (const name of this.names) {
      const g = grads[name];
      if (!g) throw new ProcptError('runtime', `AdamW: missing gradient for ${name}`);
      const wd = this.decayed.has(name) ? weightDecay : 0;
      update(this.params.get(name)!, g, this.m.get(name)!, this.v.get(name)!, {
        lr,
        beta1,
        beta2,
        eps,
        weightDecay: wd,
        step: this.t,
        gradScale: scale,
      });
    }
  }

  /** One `ProcptAdamW` kernel per parameter (the clip factor stays a device tensor), its outputs assigned. */
  private applyKernel(
    grads: Readonly<Record<string, tf.Tensor>>,
    lr: number,
    gradScale: tf.Scalar | undefined,
  ): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    const scale = gradScale ?? tf.scalar(1);
    try {
      for (const name of this.names) {
        const grad = grads[name];
        if (!grad) throw new ProcptError('runtime', `AdamW: missing gradient for ${name}`);
        const param = this.params.get(name)!;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const wd = this.decayed.has(name) ? weightDecay : 0;
        const attrs = { lr, beta1, beta2, eps, weightDecay: wd, step: this.t };
        const out = tf
          .engine()
          .runKernel(OPTIMIZER_KERNELS.adamw, { param, grad, m, v, scale }, attrs) as tf.Tensor[];
        param.assign(out[0]!);
        m.assign(out[1]!);
        v.assign(out[2]!);
        tf.dispose(out);
      }
    } finally {
      if (!gradScale) scale.dispose();
    }
  }

  /** The moments as named tensors (`optimizer.exp_avg.<name>`, `optimizer.exp_avg_sq.<name>`); not copies. */
  stateTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const name of this.names) {
      out[`${M}${name}`] = this.m.get(name)!;
      out[`${V}${name}`] = this.v.get(name)!;
    }
    return out;
  }

  /**
   * Restores moments saved by {@link stateTensors} and the step count `t`. Every trained name must
   * be present with the right shape; extra names (parameters frozen now) are ignored.
   */
  loadState(tensors: Readonly<Record<string, tf.Tensor>>, t: number): void {
    for (const name of this.names) {
      for (const [prefix, slot] of [
        [M, this.m],
        [V, this.v],
      ] as const) {
        const saved = tensors[`${prefix}${name}`];
        const target = slot.get(name)!;
        if (!saved) {
          throw new ProcptError('corrupt', `optimizer state lacks ${prefix}${name}`, {
            hint: 'the checkpoint was written for other trainable parameters; resume with the same config',
          });
        }
        if (saved.shape.join(',') !== target.shape.join(',')) {
          throw new ProcptError(
            'corrupt',
            `optimizer state ${prefix}${name} has shape [${saved.shape}], expected [${target.shape}]`,
          );
        }
        target.assign(saved.dtype === 'float32' ? saved : tf.cast(saved, 'float32'));
      }
    }
    this.t = t;
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * Global L2 norm of `grads` and the PyTorch `clip_grad_norm_` factor `min(1, maxNorm / (norm + 1e-6))`
 * (factor 1 when `maxNorm` is `null`). Both are new scalar tensors owned by the caller. With a `fused` optimizer
 * whose backend is active (procpt-native's) the norm is one native pass (float64 accumulation, no temporaries) and
 * the factor is computed in float32 arithmetic, as the tensor ops would; a NaN/Infinity norm stays NaN/Infinity so
 * the trainer's finiteness guard still sees it.
 */
export function globalNormClip(
  grads: Readonly<Record<string, tf.Tensor>>,
  maxNorm: number | null,
  fused?: FusedOptimizer,
): { norm: tf.Scalar; scale: tf.Scalar } {
  if (hasKernel(OPTIMIZER_KERNELS.gradNormClip)) {
    const inputs = Object.values(grads) as unknown as tf.NamedTensorMap;
    const [norm, scale] = tf
      .engine()
      .runKernel(OPTIMIZER_KERNELS.gradNormClip, inputs, { maxNorm: maxNorm ?? -1 }) as tf.Scalar[];
    return { norm: norm!, scale: scale! };
  }
  const native = activeOn(fused);
  if (native) {
    const norm = Math.fround(native.gradNorm(Object.values(grads)));
    const f = Math.fround;
    const scale = maxNorm === null ? 1 : Math.min(1, f(f(maxNorm) / f(norm + f(1e-6))));
    return { norm: tf.scalar(norm), scale: tf.scalar(scale) };
  }
  return tf.tidy(() => {
    const squares = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    const norm = tf.sqrt(squares.length === 0 ? tf.scalar(0) : tf.addN(squares)) as tf.Scalar;
    const scale =
      maxNorm === null
        ? tf.scalar(1)
        : (tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(1e-6)))) as tf.Scalar);
    return { norm, scale };
  });
}
