import type { DataSpec, Sample } from '@procpt/core';
import { ProcptError } from '@procpt/core';
import type { GeneratorSpec } from './spec.js';

/**
 * A procedural data type with fixed parameters and seed: sample `index` is a pure function of
 * (seed, params, index), independent of every other sample, so any index range can be generated on
 * any machine, in any order.
 */
export interface Generator {
  /** The type name, e.g. `dyck` or `mixture`. */
  readonly type: string;
  /** The validated parameters, defaults filled in (nested specs for `shuffled` / `mixture`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The seed every sample is derived from. */
  readonly seed: number;
  /** Ids are in `[0, vocabSize)`. */
  readonly vocabSize: number;
  /** No sample is longer than this (most types: every sample has exactly this length). */
  readonly maxLength: number;
  /** The padding id (used by {@link packBatch}; never a scored target). */
  readonly padId: number;
  /** True for plain language-model data (loss on every token but the first): suits concat packing. */
  readonly lmStyle: boolean;
  /**
   * Sample `index` (a non-negative safe integer): fresh arrays the caller owns. They may be views
   * into a shared slab (see `SampleAllocator`): `slice()` them before transferring their buffer.
   */
  sample(index: number): Sample;
  /** A JSON description: kind `procgen`, type, seed, params, vocabulary, lengths. */
  describe(): DataSpec;
}

/** Stream ids of the key `(seed, stream, index)` each random draw uses (see `Rng`). */
export const STREAM = {
  /** Every base type's sample draws. Shared on purpose: identity/reverse/sort with one seed see the same x. */
  sample: 0,
  /** The shuffled control's permutation. */
  shuffle: 1,
  /** A mixture's choice of component. */
  mixtureChoice: 2,
  /** Seeds a mixture derives for components that have none. */
  mixtureSeed: 3,
  /** The Markov chain's transition matrix. */
  markovMatrix: 4,
} as const;

/** Throws a `usage` error unless `index` is a valid sample index. */
export function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new ProcptError('usage', `sample index must be a non-negative safe integer, got ${String(index)}`);
  }
}

/** The fields every base type fills in; {@link baseDescribe} turns them into a DataSpec. */
export interface GeneratorInfo {
  readonly type: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly padId: number;
}

/** The DataSpec of a generator: enough to recreate it with `createGenerator`. */
export function baseDescribe(g: GeneratorInfo, extra: Record<string, unknown> = {}): DataSpec {
  return {
    kind: 'procgen',
    type: g.type,
    seed: g.seed,
    params: g.params,
    vocabSize: g.vocabSize,
    maxLength: g.maxLength,
    padId: g.padId,
    ...extra,
  };
}

/** The spec `createGenerator` takes to rebuild `gen` exactly: `{ type, seed, ...params }`. */
export function specOf(gen: Generator): GeneratorSpec {
  // A generator's type and params are the ones createGenerator validated.
  return { type: gen.type, seed: gen.seed, ...gen.params } as GeneratorSpec;
}

const SLAB_BYTES = 1 << 15;

/**
 * Hands out zero-filled samples carved from shared 32 KiB slabs: one allocation per slab instead
 * of two per sample (allocation dominated the cost of short samples). A sample's `tokens` and
 * `loss` are views into a slab, so copy them (`slice()`) before transferring their buffer.
 */
export class SampleAllocator {
  private buffer = new ArrayBuffer(0);
  private offset = 0;

  /** A zeroed sample of `n` tokens. */
  alloc(n: number): Sample {
    const bytes = (n * 5 + 3) & ~3; // int32 tokens, then uint8 loss, padded to keep alignment
    if (this.offset + bytes > this.buffer.byteLength) {
      this.buffer = new ArrayBuffer(Math.max(SLAB_BYTES, bytes));
      this.offset = 0;
    }
    const tokens = new Int32Array(this.buffer, this.offset, n);
    const loss = new Uint8Array(this.buffer, this.offset + 4 * n, n);
    this.offset += bytes;
    return { tokens, loss };
  }
}
