import type { Sample } from '@procpt/core';
import type { ParamDefs, ParamValues } from './params.js';
import { SequenceTask } from './sequence.js';

/** Parameters of the stack task. */
export const STACK_PARAMS = {
  vocabSize: {
    kind: 'int',
    default: 100,
    min: 2,
    max: 1 << 20,
    doc: 'V: 0 = POP, 1..V-1 = PUSH t, SEP = V, PAD = V+1 (vocabulary V+2)',
  },
  length: { kind: 'int', default: 64, min: 1, max: 1 << 20, doc: 'L: number of operations' },
} satisfies ParamDefs;

/** The POP operation token. */
export const POP = 0;

/**
 * stack: L push/pop operations, then SEP and the final stack top first, PAD-ded or cut to 2L tokens;
 * loss on the stack tokens. Follows `procedural_data/stack.py` step by step (paper.md §2.7): force a
 * pop on the last step while more than one token is stacked; push while at most one is; otherwise
 * push with probability 0.75 in the first floor(2L/3) steps and pop with probability 0.75 after;
 * pushed tokens are uniform among those not on the stack; an empty final stack gets one extra token
 * in the answer only.
 */
export class StackTask extends SequenceTask {
  readonly maxLength: number;
  private readonly stack: Int32Array;
  private readonly onStack: Uint8Array;

  constructor(params: ParamValues, seed: number) {
    super('stack', params, seed);
    this.maxLength = 2 * this.L;
    this.stack = new Int32Array(this.L + 1);
    this.onStack = new Uint8Array(this.V);
  }

  /** A token uniform among 1..V-1 minus those on the stack (`available` of them, > 0). */
  private drawFree(available: number): number {
    const rng = this.rng;
    const span = this.V - 1;
    if (available * 4 >= span) {
      // Rejection: at least a quarter of the draws hit a free token.
      for (;;) {
        const t = 1 + rng.int(span);
        if (this.onStack[t] === 0) return t;
      }
    }
    let k = rng.int(available);
    for (let t = 1; t < this.V; t++) {
      if (this.onStack[t] === 0 && k-- === 0) return t;
    }
    throw new Error('unreachable: no free token');
  }

  sample(index: number): Sample {
    const rng = this.rngFor(index);
    const L = this.L;
    const total = this.maxLength;
    const { tokens, loss } = this.samples.alloc(total);
    tokens.fill(this.padId);
    const stack = this.stack;
    const onStack = this.onStack;
    const pushPhase = Math.floor((L * 2) / 3);
    let size = 0;
    let ops = 0;
    const push = () => {
      const t = this.drawFree(this.V - 1 - size);
      stack[size++] = t;
      onStack[t] = 1;
      tokens[ops++] = t;
    };
    const pop = () => {
      onStack[stack[--size] as number] = 0;
      tokens[ops++] = 0;
    };
    for (let step = 0; step < L; step++) {
      if (step === L - 1 && size > 1) {
        pop();
        continue;
      }
      let wantPush: boolean;
      if (size <= 1) wantPush = true;
      else if (step < pushPhase) wantPush = rng.nextU32() < 0.75 * 4294967296;
      else wantPush = !(rng.nextU32() < 0.75 * 4294967296);
      const available = this.V - 1 - size;
      if (wantPush && available === 0) wantPush = false;
      if (wantPush) push();
      else if (size > 0) pop();
      else if (available > 0) push();
    }
    let answer = size;
    if (size === 0) {
      // Never reached with the rules above, kept as in the paper's code: answer one fresh token.
      stack[0] = this.drawFree(this.V - 1);
      answer = 1;
    }
    tokens[ops] = this.sep;
    for (let j = 0; j < answer && ops + 1 + j < total; j++) {
      tokens[ops + 1 + j] = stack[answer - 1 - j] as number;
      loss[ops + 1 + j] = 1;
    }
    for (let j = 0; j < size; j++) onStack[stack[j] as number] = 0;
    return { tokens, loss };
  }
}
