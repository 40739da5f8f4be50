import type { DataSpec, Sample } from '@procpt/core';
import { type Generator, STREAM, SampleAllocator, baseDescribe, checkIndex } from './generator.js';
import type { ParamDefs, ParamValues } from './params.js';
import { type KeyPrefix, Rng } from './rng.js';

// Conventions of the paper's `procedural_data/*.py` (paper.md §2.0): content tokens are uniform in
// 1..V-1 (numpy `randint(1, V)`), SEP = V, PAD = V+1, vocabulary V+2; loss only on the answer tokens
// (here: on the tokens themselves; the paper marks the position that predicts them), never on PAD.

const MAX_ID = 1 << 20;
const vocabSize = {
  kind: 'int',
  default: 100,
  min: 2,
  max: MAX_ID,
  doc: 'V: content tokens are 1..V-1, SEP = V, PAD = V+1 (vocabulary V+2)',
} as const;

/** Parameters of identity, reverse, sort, set and delete. */
export const SEQUENCE_PARAMS = {
  vocabSize,
  length: { kind: 'int', default: 64, min: 1, max: MAX_ID, doc: 'L: length of the input sequence x' },
} satisfies ParamDefs;

/** Parameters of union and ww (two halves of L/2 tokens). */
export const HALVES_PARAMS = {
  vocabSize,
  length: {
    kind: 'int',
    default: 64,
    min: 2,
    max: MAX_ID,
    doc: 'L: the two halves have floor(L/2) tokens each',
  },
} satisfies ParamDefs;

/** Shared fields and helpers of the sequence-transformation types. */
abstract class SequenceTask implements Generator {
  readonly vocabSize: number;
  readonly padId: number;
  readonly lmStyle = false;
  abstract readonly maxLength: number;
  protected readonly V: number;
  protected readonly L: number;
  protected readonly sep: number;
  protected readonly rng: Rng;
  protected readonly key: KeyPrefix;
  protected readonly samples = new SampleAllocator();

  constructor(
    readonly type: string,
    readonly params: ParamValues,
    readonly seed: number,
  ) {
    this.V = params.vocabSize as number;
    this.L = params.length as number;
    this.sep = this.V;
    this.padId = this.V + 1;
    this.vocabSize = this.V + 2;
    this.rng = Rng.fromSeed(seed, STREAM.sample, 0);
    this.key = Rng.keyPrefix(seed, STREAM.sample);
  }

  abstract sample(index: number): Sample;

  /** Re-keys the shared Rng for sample `index`. */
  protected rngFor(index: number): Rng {
    checkIndex(index);
    return this.rng.reseedAt(this.key, index);
  }

  /** Writes `n` uniform content tokens (1..V-1) at `out[at..at+n)`. */
  protected fillRandom(out: Int32Array, at: number, n: number, rng: Rng): void {
    const span = this.V - 1;
    for (let i = 0; i < n; i++) out[at + i] = 1 + rng.int(span);
  }

  describe(): DataSpec {
    return baseDescribe(this, { sepId: this.sep });
  }
}

/** `x, SEP, f(x)` with |f(x)| = |x| = L: identity, reverse and sort. Length 2L+1, loss on f(x). */
class Transform extends SequenceTask {
  readonly maxLength: number;
  private counts: Int32Array | undefined;

  constructor(type: 'identity' | 'reverse' | 'sort', params: ParamValues, seed: number) {
    super(type, params, seed);
    this.maxLength = 2 * this.L + 1;
    // Counting sort when the vocabulary is small next to L (the paper's V = 100, L = 64).
    if (type === 'sort' && this.V <= 8 * this.L + 256) this.counts = new Int32Array(this.V);
  }

  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const L = this.L;
    const { tokens, loss } = this.samples.alloc(2 * L + 1);
    this.fillRandom(tokens, 0, L, rng);
    tokens[L] = this.sep;
    const out = L + 1;
    if (this.type === 'identity') {
      tokens.copyWithin(out, 0, L);
    } else if (this.type === 'reverse') {
      for (let i = 0; i < L; i++) tokens[out + i] = tokens[L - 1 - i] as number;
    } else if (this.counts) {
      const counts = this.counts;
      counts.fill(0);
      for (let i = 0; i < L; i++) {
        const v = tokens[i] as number;
        counts[v] = (counts[v] as number) + 1;
      }
      let at = out;
      for (let v = 1; v < this.V; v++) {
        for (let c = counts[v] as number; c > 0; c--) tokens[at++] = v;
      }
    } else {
      tokens.copyWithin(out, 0, L);
      tokens.subarray(out).sort();
    }
    loss.fill(1, out);
    return { tokens, loss };
  }
}

/**
 * Dedupe helper: `seen[v] === stamp` marks v as seen in the current sample; bumping the stamp
 * clears the set in O(1).
 */
class SeenSet {
  private readonly seen: Uint32Array;
  private stamp = 0;
  constructor(size: number) {
    this.seen = new Uint32Array(size);
  }
  clear(): void {
    this.stamp++;
    if (this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 1;
    }
  }
  /** Marks v; true if it was not seen yet. */
  add(v: number): boolean {
    if (this.seen[v] === this.stamp) return false;
    this.seen[v] = this.stamp;
    return true;
  }
}

/** set: `x, SEP, dedup(x)` (first occurrences, in order), PAD to 2L+1; loss on dedup(x). */
class SetTask extends SequenceTask {
  readonly maxLength: number;
  private readonly seen: SeenSet;
  constructor(params: ParamValues, seed: number) {
    super('set', params, seed);
    this.maxLength = 2 * this.L + 1;
    this.seen = new SeenSet(this.V);
  }
  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const L = this.L;
    const { tokens, loss } = this.samples.alloc(this.maxLength);
    tokens.fill(this.padId);
    this.fillRandom(tokens, 0, L, rng);
    tokens[L] = this.sep;
    let at = L + 1;
    this.seen.clear();
    for (let i = 0; i < L; i++) {
      const v = tokens[i] as number;
      if (this.seen.add(v)) {
        tokens[at] = v;
        loss[at++] = 1;
      }
    }
    return { tokens, loss };
  }
}

/** union: `a, SEP, b, SEP, dedup(a ++ b)` with |a| = |b| = floor(L/2), answer PAD-ded to L slots. */
class UnionTask extends SequenceTask {
  readonly maxLength: number;
  private readonly seen: SeenSet;
  constructor(params: ParamValues, seed: number) {
    super('union', params, seed);
    const h = Math.floor(this.L / 2);
    this.maxLength = 2 * h + 2 + this.L;
    this.seen = new SeenSet(this.V);
  }
  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const h = Math.floor(this.L / 2);
    const { tokens, loss } = this.samples.alloc(this.maxLength);
    tokens.fill(this.padId);
    this.fillRandom(tokens, 0, h, rng);
    tokens[h] = this.sep;
    this.fillRandom(tokens, h + 1, h, rng);
    tokens[2 * h + 1] = this.sep;
    let at = 2 * h + 2;
    this.seen.clear();
    for (let i = 0; i < 2 * h + 1; i++) {
      if (i === h) continue;
      const v = tokens[i] as number;
      if (this.seen.add(v)) {
        tokens[at] = v;
        loss[at++] = 1;
      }
    }
    return { tokens, loss };
  }
}

/** delete: `x, SEP, d, SEP, x without its first d` (x itself when d is absent), PAD to L slots. */
class DeleteTask extends SequenceTask {
  readonly maxLength: number;
  constructor(params: ParamValues, seed: number) {
    super('delete', params, seed);
    this.maxLength = 2 * this.L + 3;
  }
  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const L = this.L;
    const { tokens, loss } = this.samples.alloc(this.maxLength);
    tokens.fill(this.padId);
    this.fillRandom(tokens, 0, L, rng);
    const d = 1 + rng.int(this.V - 1);
    tokens[L] = this.sep;
    tokens[L + 1] = d;
    tokens[L + 2] = this.sep;
    let at = L + 3;
    let removed = false;
    for (let i = 0; i < L; i++) {
      const v = tokens[i] as number;
      if (!removed && v === d) {
        removed = true;
        continue;
      }
      tokens[at] = v;
      loss[at++] = 1;
    }
    return { tokens, loss };
  }
}

/** ww: `w, SEP, w` with |w| = floor(L/2); loss on the copy. */
class WwTask extends SequenceTask {
  readonly maxLength: number;
  constructor(params: ParamValues, seed: number) {
    super('ww', params, seed);
    this.maxLength = 2 * Math.floor(this.L / 2) + 1;
  }
  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const h = Math.floor(this.L / 2);
    const { tokens, loss } = this.samples.alloc(this.maxLength);
    this.fillRandom(tokens, 0, h, rng);
    tokens[h] = this.sep;
    tokens.copyWithin(h + 1, 0, h);
    loss.fill(1, h + 1);
    return { tokens, loss };
  }
}

/** Builds a sequence-transformation generator from validated params. */
export function createSequenceTask(type: string, params: ParamValues, seed: number): Generator {
  switch (type) {
    case 'identity':
    case 'reverse':
    case 'sort':
      return new Transform(type, params, seed);
    case 'set':
      return new SetTask(params, seed);
    case 'union':
      return new UnionTask(params, seed);
    case 'delete':
      return new DeleteTask(params, seed);
    case 'ww':
      return new WwTask(params, seed);
    default:
      throw new Error(`not a sequence task: ${type}`);
  }
}

export { SequenceTask };
