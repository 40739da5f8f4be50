import type { DataSpec, Sample } from '@procpt/core';
import { aliasTable, dirichlet } from './distributions.js';
import { type Generator, STREAM, SampleAllocator, baseDescribe, checkIndex } from './generator.js';
import type { ParamDefs, ParamValues } from './params.js';
import { type KeyPrefix, Rng } from './rng.js';

/** Parameters of the Markov-chain baseline. */
export const MARKOV_PARAMS = {
  states: { kind: 'int', default: 100, min: 2, max: 2048, doc: 'V: states = token ids 0..V-1, PAD = V' },
  length: { kind: 'int', default: 2048, min: 2, max: 1 << 26, doc: 'tokens per sample' },
  alpha: {
    kind: 'number',
    default: 0.1,
    min: 0,
    max: 1000,
    minExclusive: true,
    doc: 'Dirichlet concentration of each transition row (small = peaked)',
  },
} satisfies ParamDefs;

/**
 * markov (a baseline, not in the paper's code): a first-order Markov chain over V states whose
 * transition matrix has i.i.d. Dirichlet(alpha) rows drawn once from the seed (key (seed, 4)).
 * Each sample starts in a uniform state and walks `length` tokens; loss on every token but the first.
 */
export class Markov implements Generator {
  readonly type = 'markov';
  readonly padId: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly lmStyle = true;
  private readonly V: number;
  private readonly threshold: Float64Array;
  private readonly alias: Int32Array;
  private readonly rng: Rng;
  private readonly key: KeyPrefix;
  private readonly samples = new SampleAllocator();

  constructor(
    readonly params: ParamValues,
    readonly seed: number,
  ) {
    const V = params.states as number;
    this.V = V;
    this.padId = V;
    this.vocabSize = V + 1;
    this.maxLength = params.length as number;
    this.threshold = new Float64Array(V * V);
    this.alias = new Int32Array(V * V);
    const matrixRng = Rng.fromSeed(seed, STREAM.markovMatrix);
    const row = new Float64Array(V);
    for (let s = 0; s < V; s++) {
      dirichlet(matrixRng, params.alpha as number, row);
      aliasTable(row, this.threshold, this.alias, s * V);
    }
    this.rng = Rng.fromSeed(seed, STREAM.sample, 0);
    this.key = Rng.keyPrefix(seed, STREAM.sample);
  }

  /** The transition matrix row of `state` (probabilities, recomputed from the alias table). */
  transitionRow(state: number): Float64Array {
    const V = this.V;
    const row = new Float64Array(V);
    for (let j = 0; j < V; j++) {
      const keep = (this.threshold[state * V + j] as number) / 4294967296;
      row[j] = (row[j] as number) + keep / V;
      const other = this.alias[state * V + j] as number;
      row[other] = (row[other] as number) + (1 - keep) / V;
    }
    return row;
  }

  sample(index: number): Sample {
    checkIndex(index);
    const rng = this.rng.reseedAt(this.key, index);
    const n = this.maxLength;
    const V = this.V;
    const { tokens, loss } = this.samples.alloc(n);
    loss.fill(1, 1);
    const { threshold, alias } = this;
    let s = rng.int(V);
    tokens[0] = s;
    for (let i = 1; i < n; i++) {
      const cell = s * V + rng.int(V);
      s = rng.nextU32() < (threshold[cell] as number) ? cell - s * V : (alias[cell] as number);
      tokens[i] = s;
    }
    return { tokens, loss };
  }

  describe(): DataSpec {
    return baseDescribe(this);
  }
}
