import { ProcptError } from '@procpt/core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { type GptConfig, assertModelFits, validateConfig } from './config.js';
import { biasGelu, fusedAttention, layerNorm } from './fused-ops.js';
import { chunkRowsFor, maskedCrossEntropy, maskedCrossEntropyStats } from './head.js';
import { initialValues } from './init.js';
import { parameterSpecs } from './names.js';

/** Options of {@link Gpt.forward} and {@link Gpt.loss}. */
export interface ForwardOptions {
  /** Apply dropout (config.dropout > 0). Default false. */
  training?: boolean;
  /** Seed of this call's dropout masks; defaults to an internal per-model counter. */
  dropoutSeed?: number;
}

/** Options of {@link Gpt.loss}. */
export interface LossOptions extends ForwardOptions {
  /** Rows of logits computed at once; default keeps one chunk under 4M logits. */
  chunkRows?: number;
}

interface Block {
  ln1w: tf.Variable;
  ln1b: tf.Variable;
  attnW: tf.Variable;
  attnB: tf.Variable;
  projW: tf.Variable;
  projB: tf.Variable;
  ln2w: tf.Variable;
  ln2b: tf.Variable;
  fcW: tf.Variable;
  fcB: tf.Variable;
  mlpW: tf.Variable;
  mlpB: tf.Variable;
}

/** `x·W + b` as one fused matmul-with-bias (a single kernel on backends that fuse it). */
function linear(x: tf.Tensor2D, w: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
}

/**
 * GPT-2 (HF `GPT2LMHeadModel` semantics) on tfjs-core ops only: pre-LN blocks, learned absolute
 * positions, gelu_new, 4d MLP, causal softmax attention, tied or untied head. Every matmul is 2-D
 * ([B·T, d] × [d, out]) except the two per-head attention products, so backends with a fast 2-D
 * GEMM path (wasm/XNNPACK) use it. LayerNorm, bias+GELU, attention and the head + loss are the fused
 * ops of `fused-ops.ts` and `head.ts`, each called once: one kernel where the backend registers it
 * (kernel-spec.ts; procpt-native does) and plain tfjs ops elsewhere. Runs on whatever backend is active;
 * never selects one.
 */
export class Gpt {
  /** The architecture. */
  readonly config: GptConfig;
  /** Trainable variables keyed by HF GPT-2 name, in the order of `parameterSpecs(config)`. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly blocks: Block[];
  private dropoutCounter = 0;
  private disposed = false;

  private constructor(
    config: GptConfig,
    values: (name: string, index: number, shape: number[]) => Float32Array,
  ) {
    this.config = validateConfig({ ...config });
    const params = new Map<string, tf.Variable>();
    parameterSpecs(this.config).forEach((spec, index) => {
      const init = tf.tensor(values(spec.name, index, spec.shape), spec.shape, 'float32');
      params.set(spec.name, tf.variable(init, true));
      init.dispose(); // the variable holds its own reference to the data
    });
    this.params = params;
    this.blocks = [];
    for (let i = 0; i < this.config.nLayer; i++) {
      const p = (s: string) => this.param(`transformer.h.${i}.${s}`);
      this.blocks.push({
        ln1w: p('ln_1.weight'),
        ln1b: p('ln_1.bias'),
        attnW: p('attn.c_attn.weight'),
        attnB: p('attn.c_attn.bias'),
        projW: p('attn.c_proj.weight'),
        projB: p('attn.c_proj.bias'),
        ln2w: p('ln_2.weight'),
        ln2b: p('ln_2.bias'),
        fcW: p('mlp.c_fc.weight'),
        fcB: p('mlp.c_fc.bias'),
        mlpW: p('mlp.c_proj.weight'),
        mlpB: p('mlp.c_proj.bias'),
      });
    }
  }

  /**
   * A freshly initialised model (HF GPT-2 init, deterministic for a given `seed`, default 0). A
   * model whose estimated memory exceeds the `memory` limit is refused before any allocation
   * (`config` error prefixed with `where`).
   */
  static create(config: GptConfig, options: { seed?: number; where?: string } = {}): Gpt {
    const seed = options.seed ?? 0;
    const checked = validateConfig({ ...config });
    assertModelFits(checked, options.where ?? 'building a model');
    const specs = parameterSpecs(checked);
    return new Gpt(config, (_name, index) => initialValues(specs[index]!, config, seed, index));
  }

  /**
   * A model from explicit weights keyed by HF name (every parameter of `parameterSpecs(config)`
   * must be present with the right element count). `where` names the source in errors.
   */
  static fromWeights(config: GptConfig, weights: ReadonlyMap<string, Float32Array>, where = 'weights'): Gpt {
    validateConfig({ ...config });
    return new Gpt(config, (name, _index, shape) => {
      const data = weights.get(name);
      if (!data) {
        throw new ProcptError('corrupt', `${where}: missing tensor ${name}`, {
          hint: `a ${config.nLayer}-layer ${config.tied ? 'tied' : 'untied'} GPT-2 needs it`,
        });
      }
      const size = shape.reduce((a, b) => a * b, 1);
      if (data.length !== size) {
        throw new ProcptError(
          'corrupt',
          `${where}: tensor ${name} has ${data.length} values, expected shape [${shape.join(', ')}]`,
        );
      }
      return data;
    });
  }

  /** The variable of one parameter; throws a clear error for an unknown name. */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new ProcptError('usage', `model has no parameter ${name}`);
    return v;
  }

  /** Name of the output head's weight: `transformer.wte.weight` when tied, else `lm_head.weight`. */
  get headName(): string {
    return this.config.tied ? 'transformer.wte.weight' : 'lm_head.weight';
  }

  /** Final-LayerNorm hidden states [B·T, d] for int32 tokens [B, T]. */
  hidden(tokens: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor2D {
    this.assertAlive();
    const [b, t] = tokens.shape;
    const { dModel: d, nHead, nPositions } = this.config;
    if (t > nPositions) {
      throw new ProcptError('usage', `sequence length ${t} exceeds the model's nPositions ${nPositions}`);
    }
    if (tokens.dtype !== 'int32') {
      throw new ProcptError('usage', `tokens must be an int32 tensor, got ${tokens.dtype}`);
    }
    const rate = options.training ? this.config.dropout : 0;
    let site = 0;
    const seed = options.dropoutSeed ?? this.dropoutCounter++;
    const drop = (x: tf.Tensor): tf.Tensor =>
      rate > 0 ? tf.dropout(x, rate, undefined, seed * 1009 + site++) : x;
    const eps = this.config.layerNormEpsilon;
    return tf.tidy(() => {
      const ids = tf.reshape(tokens, [b * t]);
      const tok = tf.reshape(tf.gather(this.param('transformer.wte.weight'), ids), [b, t, d]);
      const pos = tf.slice(this.param('transformer.wpe.weight'), [0, 0], [t, d]);
      let x = drop(tf.reshape(tf.add(tok, pos), [b * t, d])) as tf.Tensor2D;
      const attention = (qkv: tf.Tensor2D): tf.Tensor2D => {
        // Attention dropout is seeded per site like `drop`; a fused kernel hashes its own masks from that seed,
        // so training is deterministic per backend, not across backends.
        const att = rate > 0 ? { dropout: rate, seed: seed * 1009 + site++ } : {};
        return tf.reshape(fusedAttention(tf.reshape(qkv, [b, t, 3 * d]), nHead, att), [b * t, d]);
      };
      for (const blk of this.blocks) {
        const h = layerNorm(x, blk.ln1w as tf.Tensor1D, blk.ln1b as tf.Tensor1D, eps);
        const y = attention(linear(h, blk.attnW, blk.attnB));
        x = tf.add(x, drop(linear(y, blk.projW, blk.projB)));
        const h2 = layerNorm(x, blk.ln2w as tf.Tensor1D, blk.ln2b as tf.Tensor1D, eps);
        const f = biasGelu(tf.matMul(h2, blk.fcW) as tf.Tensor2D, blk.fcB as tf.Tensor1D);
        x = tf.add(x, drop(linear(f, blk.mlpW, blk.mlpB)));
      }
      return layerNorm(
        x,
        this.param('transformer.ln_f.weight') as tf.Tensor1D,
        this.param('transformer.ln_f.bias') as tf.Tensor1D,
        eps,
      );
    });
  }

  /** Logits [B, T, V] for int32 tokens [B, T] (T ≤ nPositions). */
  forward(tokens: tf.Tensor2D, options: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t] = tokens.shape;
      const logits = tf.matMul(this.hidden(tokens, options), this.param(this.headName), false, true);
      return tf.reshape(logits, [b, t, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * Mean masked next-token cross-entropy of a packed batch [B, T]: inputs tokens[:, :T-1], targets
   * tokens[:, 1:], weights lossMask[:, 1:] (1 = scored). Chunked fused head + CE, so large
   * vocabularies never materialise full logits. Differentiable w.r.t. the params (use inside
   * `tf.variableGrads`). A batch with no scored target has loss 0.
   */
  loss(tokens: tf.Tensor2D, lossMask: tf.Tensor2D, options: LossOptions = {}): tf.Scalar {
    return tf.tidy(() => {
      const { inputs, targets, weights } = this.shift(tokens, lossMask);
      const h = this.hidden(inputs, options);
      const head = this.param(this.headName) as tf.Tensor2D;
      const chunkRows = options.chunkRows ?? chunkRowsFor(this.config.vocabSize);
      const sum = maskedCrossEntropy(h, head, targets, weights, { chunkRows });
      return tf.div(sum, tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
    });
  }

  /** Sum of masked CE, number of scored targets, number correct under argmax (no grad, no dropout). */
  async evaluate(
    tokens: tf.Tensor2D,
    lossMask: tf.Tensor2D,
  ): Promise<{ lossSum: number; count: number; correct: number }> {
    const sums = tf.tidy(() => {
      const { inputs, targets, weights } = this.shift(tokens, lossMask);
      const h = this.hidden(inputs);
      const head = this.param(this.headName) as tf.Tensor2D;
      const { lossSum, correct } = maskedCrossEntropyStats(h, head, targets, weights);
      return tf.stack([lossSum, tf.sum(weights), correct]);
    });
    const [lossSum, count, correct] = Array.from(await sums.data());
    sums.dispose();
    return { lossSum: lossSum!, count: Math.round(count!), correct: Math.round(correct!) };
  }

  /**
   * Greedy decoding: appends `steps` argmax tokens to each prompt row (int32 [B, P]); the context
   * is the last nPositions tokens. Returns the new tokens only, row-major [B, steps].
   */
  async generate(prompt: tf.Tensor2D, steps: number): Promise<Int32Array> {
    this.assertAlive();
    const [b, p] = prompt.shape;
    if (p < 1) throw new ProcptError('usage', 'generate needs a non-empty prompt');
    const rows: number[][] = [];
    const flat = await prompt.data();
    for (let i = 0; i < b; i++) rows.push(Array.from(flat.subarray(i * p, (i + 1) * p)));
    const out = new Int32Array(b * steps);
    for (let s = 0; s < steps; s++) {
      const next = tf.tidy(() => {
        const len = Math.min(rows[0]!.length, this.config.nPositions);
        const ctx = tf.tensor2d(
          rows.flatMap((r) => r.slice(r.length - len)),
          [b, len],
          'int32',
        );
        const h = tf.reshape(this.hidden(ctx), [b, len, this.config.dModel]);
        const last = tf.reshape(tf.slice(h, [0, len - 1, 0], [b, 1, this.config.dModel]), [b, -1]);
        return tf.argMax(tf.matMul(last, this.param(this.headName), false, true), 1);
      });
      const ids = await next.data();
      next.dispose();
      for (let i = 0; i < b; i++) {
        rows[i]!.push(ids[i]!);
        out[i * steps + s] = ids[i]!;
      }
    }
    return out;
  }

  /** Frees every variable. The model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.params.values()) v.dispose();
  }

  private shift(tokens: tf.Tensor2D, lossMask: tf.Tensor2D) {
    const [b, t] = tokens.shape;
    if (lossMask.shape[0] !== b || lossMask.shape[1] !== t) {
      throw new ProcptError(
        'usage',
        `lossMask shape [${lossMask.shape}] differs from tokens shape [${tokens.shape}]`,
      );
    }
    if (t < 2) throw new ProcptError('usage', `a loss needs sequences of at least 2 tokens, got ${t}`);
    const inputs = tf.slice(tokens, [0, 0], [b, t - 1]);
    const targets = tf.reshape(tf.slice(tokens, [0, 1], [b, t - 1]), [b * (t - 1)]) as tf.Tensor1D;
    const weights = tf.cast(
      tf.reshape(tf.slice(lossMask, [0, 1], [b, t - 1]), [b * (t - 1)]),
      'float32',
    ) as tf.Tensor1D;
    return { inputs, targets, weights };
  }

  private assertAlive(): void {
    if (this.disposed) throw new ProcptError('usage', 'this model was disposed');
  }
}
