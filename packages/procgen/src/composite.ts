import type { DataSpec, Sample } from '@procpt/core';
import { type Generator, STREAM, baseDescribe, checkIndex, specOf } from './generator.js';
import { type KeyPrefix, Rng } from './rng.js';

/**
 * The paper's shuffled control (paper.md §2.12): sample i of `base`, with its tokens permuted
 * uniformly at random (Fisher–Yates keyed by (seed, 1, i)). The loss mask moves with the tokens, so
 * the multiset of tokens and of scored tokens is kept while the structure is destroyed. Trailing
 * padding (PAD with loss 0) is layout, not content: it stays at the end.
 */
export class Shuffled implements Generator {
  readonly type = 'shuffled';
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly padId: number;
  readonly lmStyle: boolean;
  private readonly rng: Rng;
  private readonly key: KeyPrefix;

  constructor(
    readonly base: Generator,
    readonly seed: number,
  ) {
    this.vocabSize = base.vocabSize;
    this.maxLength = base.maxLength;
    this.padId = base.padId;
    this.lmStyle = base.lmStyle;
    this.rng = Rng.fromSeed(seed, STREAM.shuffle, 0);
    this.key = Rng.keyPrefix(seed, STREAM.shuffle);
  }

  get params(): Readonly<Record<string, unknown>> {
    return { base: specOf(this.base) };
  }

  sample(index: number): Sample {
    checkIndex(index);
    const { tokens, loss } = this.base.sample(index);
    let n = tokens.length;
    while (n > 0 && tokens[n - 1] === this.padId && loss[n - 1] === 0) n--;
    const rng = this.rng.reseedAt(this.key, index);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = tokens[i] as number;
      tokens[i] = tokens[j] as number;
      tokens[j] = t;
      const l = loss[i] as number;
      loss[i] = loss[j] as number;
      loss[j] = l;
    }
    return { tokens, loss };
  }

  describe(): DataSpec {
    return baseDescribe(this);
  }
}

/** How a mixture lays its components' ids out in one vocabulary. */
export type MixtureLayout = 'shared' | 'offset';

/**
 * Entropy of a mixture's type weights (normalised), in nats: −Σ p·ln p. 0 for a pure type, ln m for
 * m equal weights. The paper plots its mixtures against a "mixture diversity (entropy)"; this is the
 * standard definition (multiply by 1/ln 2 for bits).
 */
export function mixtureEntropy(weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const w of weights) if (w > 0) h -= (w / total) * Math.log(w / total);
  return h;
}

/**
 * A weighted mixture: sample i comes from component c, chosen by a uniform draw keyed
 * (seed, 2, i) against the cumulative normalised weights, and is that component's sample i.
 *
 * Vocabulary layouts:
 * - `shared` (default; what the paper's Set+Union mixtures imply): ids are left as they are, so
 *   components with the same conventions share content, SEP and PAD ids; vocabSize = the largest
 *   component vocabulary; padId = that component's PAD.
 * - `offset`: component c's ids are shifted by the sum of the vocabularies before it, so types never
 *   share an id; vocabSize = the sum; padId = component 0's PAD.
 */
export class Mixture implements Generator {
  readonly type = 'mixture';
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly padId: number;
  readonly lmStyle: boolean;
  /** Normalised weights. */
  readonly weights: readonly number[];
  /** Entropy of the weights in nats (see {@link mixtureEntropy}). */
  readonly entropy: number;
  /** The id offset of each component (all 0 in the shared layout). */
  readonly offsets: readonly number[];
  private readonly cumulative: Float64Array;
  private readonly rng: Rng;
  private readonly key: KeyPrefix;

  constructor(
    readonly components: readonly Generator[],
    weights: readonly number[],
    readonly layout: MixtureLayout,
    readonly seed: number,
  ) {
    const total = weights.reduce((a, b) => a + b, 0);
    this.weights = weights.map((w) => w / total);
    this.entropy = mixtureEntropy(weights);
    this.cumulative = new Float64Array(weights.length);
    let acc = 0;
    this.weights.forEach((w, i) => {
      acc += w;
      this.cumulative[i] = acc;
    });
    this.cumulative[weights.length - 1] = 1;
    this.maxLength = Math.max(...components.map((c) => c.maxLength));
    this.lmStyle = components.every((c) => c.lmStyle);
    if (layout === 'shared') {
      const widest = components.reduce((a, b) => (b.vocabSize > a.vocabSize ? b : a));
      this.vocabSize = widest.vocabSize;
      this.padId = widest.padId;
      this.offsets = components.map(() => 0);
    } else {
      const offsets: number[] = [];
      let at = 0;
      for (const c of components) {
        offsets.push(at);
        at += c.vocabSize;
      }
      this.offsets = offsets;
      this.vocabSize = at;
      this.padId = (components[0] as Generator).padId;
    }
    this.rng = Rng.fromSeed(seed, STREAM.mixtureChoice, 0);
    this.key = Rng.keyPrefix(seed, STREAM.mixtureChoice);
  }

  get params(): Readonly<Record<string, unknown>> {
    return {
      layout: this.layout,
      components: this.components.map((c, i) => ({ weight: this.weights[i], ...specOf(c) })),
    };
  }

  /** The component sample `index` comes from. */
  component(index: number): number {
    checkIndex(index);
    const u = this.rng.reseedAt(this.key, index).nextFloat();
    const cum = this.cumulative;
    let c = 0;
    while (c < cum.length - 1 && u >= (cum[c] as number)) c++;
    return c;
  }

  sample(index: number): Sample {
    const c = this.component(index);
    const s = (this.components[c] as Generator).sample(index);
    const offset = this.offsets[c] as number;
    if (offset !== 0)
      for (let i = 0; i < s.tokens.length; i++) s.tokens[i] = (s.tokens[i] as number) + offset;
    return s;
  }

  describe(): DataSpec {
    return baseDescribe(this, {
      entropyNats: this.entropy,
      entropyBits: this.entropy / Math.LN2,
    });
  }
}
