import type { DataSpec, Sample } from '@procpt/core';
import { type Generator, STREAM, SampleAllocator, baseDescribe, checkIndex } from './generator.js';
import type { ParamDefs, ParamValues } from './params.js';
import { type KeyPrefix, Rng } from './rng.js';

// Tokens of `procedural_data/dyck.py` (paper.md §2.8-2.9): opens 0..k-1, the close of type i is
// i + k, PAD = 2k, vocabulary 2k+1; plain next-token LM, so loss on every token but the first.

const k = {
  kind: 'int',
  default: 64,
  min: 1,
  max: 32767,
  doc: 'bracket types: opens 0..k-1, closes k..2k-1, PAD = 2k',
} as const;
const pOpen = {
  kind: 'number',
  default: 0.5,
  min: 0,
  max: 1,
  doc: 'probability of opening when free to',
} as const;

/** Parameters of k-Dyck. */
export const DYCK_PARAMS = {
  k,
  length: {
    kind: 'int',
    default: 2048,
    min: 2,
    max: 1 << 26,
    even: true,
    doc: 'n: exact length of every (balanced) word',
  },
  pOpen,
} satisfies ParamDefs;

/** Parameters of k-Dyck shuffle. */
export const DYCK_SHUFFLE_PARAMS = {
  k,
  length: { kind: 'int', default: 2048, min: 1, max: 1 << 26, doc: 'n: exact length of every word' },
  pOpen,
  maxDepth: {
    kind: 'int',
    default: 16,
    min: 1,
    max: 1 << 26,
    doc: 'a close is forced at this many open brackets',
  },
} satisfies ParamDefs;

const TWO_32 = 4294967296;

abstract class BracketLanguage implements Generator {
  readonly vocabSize: number;
  readonly padId: number;
  readonly maxLength: number;
  readonly lmStyle = true;
  protected readonly k: number;
  protected readonly n: number;
  /** `nextU32() < openThreshold` ⇔ open (probability pOpen, resolution 2^-32). */
  protected readonly openThreshold: number;
  /** For k = 2^b (the paper's 64), a type is the top b bits of one word: `u >>> (32 - b)`; else 32. */
  protected readonly typeShift: number;
  protected readonly rng: Rng;
  protected readonly key: KeyPrefix;
  private readonly samples = new SampleAllocator();

  constructor(
    readonly type: string,
    readonly params: ParamValues,
    readonly seed: number,
  ) {
    this.k = params.k as number;
    this.n = params.length as number;
    this.openThreshold = (params.pOpen as number) * TWO_32;
    const bits = Math.log2(this.k);
    this.typeShift = Number.isInteger(bits) && bits > 0 ? 32 - bits : 32;
    this.padId = 2 * this.k;
    this.vocabSize = 2 * this.k + 1;
    this.maxLength = this.n;
    this.rng = Rng.fromSeed(seed, STREAM.sample, 0);
    this.key = Rng.keyPrefix(seed, STREAM.sample);
  }

  abstract sample(index: number): Sample;

  protected newSample(): Sample {
    const sample = this.samples.alloc(this.n);
    sample.loss.fill(1, 1);
    return sample;
  }

  describe(): DataSpec {
    return baseDescribe(this);
  }
}

/**
 * k-Dyck (`dyck`): balanced words of exactly n brackets. Open when the stack is empty; close
 * everything once the remaining length only fits the closes; otherwise open with probability pOpen
 * (if there is still room to close it), else close the top.
 */
export class Dyck extends BracketLanguage {
  private readonly stack: Int32Array;

  constructor(params: ParamValues, seed: number) {
    super('dyck', params, seed);
    this.stack = new Int32Array(this.n);
  }

  sample(index: number): Sample {
    checkIndex(index);
    const rng = this.rng.reseedAt(this.key, index);
    const out = this.newSample();
    const tokens = out.tokens;
    const stack = this.stack;
    const k = this.k;
    const n = this.n;
    const threshold = this.openThreshold;
    const shift = this.typeShift;
    let depth = 0;
    let i = 0;
    while (i < n) {
      const remaining = n - i;
      if (depth === 0) {
        const t = shift < 32 ? rng.nextU32() >>> shift : rng.int(k);
        tokens[i++] = t;
        stack[depth++] = t;
      } else if (remaining <= depth) {
        while (depth > 0) tokens[i++] = (stack[--depth] as number) + k;
      } else if (rng.nextU32() < threshold && depth < remaining - 1) {
        const t = shift < 32 ? rng.nextU32() >>> shift : rng.int(k);
        tokens[i++] = t;
        stack[depth++] = t;
      } else {
        tokens[i++] = (stack[--depth] as number) + k;
      }
    }
    return out;
  }
}

/**
 * k-Dyck shuffle (`dyck-shuffle`): per-type open counts, crossing allowed. Open when nothing is
 * open; at maxDepth open brackets close a type chosen uniformly among the open types; otherwise open
 * with probability pOpen, else close a uniformly chosen open type. Exactly n tokens, no forced
 * closing at the end, so a word may end unbalanced (as in the paper's code).
 */
export class DyckShuffle extends BracketLanguage {
  private readonly maxDepth: number;
  private readonly counts: Int32Array;
  /** The distinct open types, and each type's position in that list (for O(1) removal). */
  private readonly openTypes: Int32Array;
  private readonly position: Int32Array;

  constructor(params: ParamValues, seed: number) {
    super('dyck-shuffle', params, seed);
    this.maxDepth = params.maxDepth as number;
    this.counts = new Int32Array(this.k);
    this.openTypes = new Int32Array(this.k);
    this.position = new Int32Array(this.k);
  }

  sample(index: number): Sample {
    checkIndex(index);
    const rng = this.rng.reseedAt(this.key, index);
    const out = this.newSample();
    const tokens = out.tokens;
    const { counts, openTypes, position, k, n, maxDepth } = this;
    const threshold = this.openThreshold;
    const shift = this.typeShift;
    counts.fill(0);
    let distinct = 0;
    let depth = 0;
    for (let i = 0; i < n; i++) {
      if (depth === 0 || (depth < maxDepth && rng.nextU32() < threshold)) {
        const t = shift < 32 ? rng.nextU32() >>> shift : rng.int(k);
        const before = counts[t] as number;
        counts[t] = before + 1;
        if (before === 0) {
          position[t] = distinct;
          openTypes[distinct++] = t;
        }
        depth++;
        tokens[i] = t;
      } else {
        const t = openTypes[rng.int(distinct)] as number;
        const left = (counts[t] as number) - 1;
        counts[t] = left;
        if (left === 0) {
          const last = openTypes[--distinct] as number;
          openTypes[position[t] as number] = last;
          position[last] = position[t] as number;
        }
        depth--;
        tokens[i] = t + k;
      }
    }
    return out;
  }
}

/** Builds `dyck` or `dyck-shuffle` from validated params. */
export function createBracketLanguage(
  type: 'dyck' | 'dyck-shuffle',
  params: ParamValues,
  seed: number,
): Generator {
  return type === 'dyck' ? new Dyck(params, seed) : new DyckShuffle(params, seed);
}
