import type { DataSpec, Sample } from '@procpt/core';
import { type Generator, STREAM, SampleAllocator, baseDescribe, checkIndex } from './generator.js';
import type { ParamDefs, ParamValues } from './params.js';
import { type KeyPrefix, Rng } from './rng.js';

/** Cell tokens are 0 and 1; SEP ends every row; PAD pads. */
export const ECA_SEP = 2;
/** The ECA padding id. */
export const ECA_PAD = 3;

/** Parameters of the elementary cellular automaton. */
export const ECA_PARAMS = {
  rule: {
    kind: 'int',
    default: 110,
    min: 0,
    max: 255,
    doc: "Wolfram rule number (110 = the paper's Rule 110)",
  },
  width: { kind: 'int', default: 32, min: 1, max: 1 << 20, doc: 'W: cells per row (periodic boundary)' },
  rows: { kind: 'int', default: 4, min: 2, max: 1 << 16, doc: 'R: successive rows, the first one random' },
} satisfies ParamDefs;

/** One step of rule `rule` on a periodic row: cell i becomes bit (l·4 + c·2 + r) of the rule. */
export function ecaStep(rule: number, row: ArrayLike<number>, out: Int32Array | number[]): void {
  const w = row.length;
  for (let i = 0; i < w; i++) {
    const l = row[(i + w - 1) % w] as number;
    const c = row[i] as number;
    const r = row[(i + 1) % w] as number;
    out[i] = (rule >>> ((l << 2) | (c << 1) | r)) & 1;
  }
}

/**
 * eca (the paper's generator is not public; this follows the specification, paper.md
 * §2.10): a uniformly random initial row of W cells, then R-1 successive rows under the rule with a
 * periodic boundary. Tokens: cells 0/1, SEP = 2 after each row, PAD = 3; length R·(W+1). The first
 * row is given: loss on every token after its SEP (cells and SEPs of rows 2..R).
 */
export class Eca implements Generator {
  readonly type = 'eca';
  readonly vocabSize = 4;
  readonly padId = ECA_PAD;
  readonly lmStyle = false;
  readonly maxLength: number;
  private readonly rule: number;
  private readonly width: number;
  private readonly rows: number;
  private readonly rng: Rng;
  private readonly key: KeyPrefix;
  private readonly samples = new SampleAllocator();

  constructor(
    readonly params: ParamValues,
    readonly seed: number,
  ) {
    this.rule = params.rule as number;
    this.width = params.width as number;
    this.rows = params.rows as number;
    this.maxLength = this.rows * (this.width + 1);
    this.rng = Rng.fromSeed(seed, STREAM.sample, 0);
    this.key = Rng.keyPrefix(seed, STREAM.sample);
  }

  sample(index: number): Sample {
    checkIndex(index);
    const rng = this.rng.reseedAt(this.key, index);
    const W = this.width;
    const stride = W + 1;
    const { tokens, loss } = this.samples.alloc(this.maxLength);
    loss.fill(1, stride);
    for (let i = 0; i < W; i += 32) {
      let bits = rng.nextU32();
      for (let j = i; j < Math.min(W, i + 32); j++) {
        tokens[j] = bits & 1;
        bits >>>= 1;
      }
    }
    const rule = this.rule;
    for (let r = 0; r < this.rows; r++) {
      const at = r * stride;
      if (r > 0) {
        const prev = at - stride;
        for (let i = 0; i < W; i++) {
          const l = tokens[prev + (i === 0 ? W - 1 : i - 1)] as number;
          const c = tokens[prev + i] as number;
          const rt = tokens[prev + (i === W - 1 ? 0 : i + 1)] as number;
          tokens[at + i] = (rule >>> ((l << 2) | (c << 1) | rt)) & 1;
        }
      }
      tokens[at + W] = ECA_SEP;
    }
    return { tokens, loss };
  }

  describe(): DataSpec {
    return baseDescribe(this, { sepId: ECA_SEP });
  }
}
