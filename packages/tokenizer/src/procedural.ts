import { ProcptError, assertConfig } from '@procpt/core';
import type { ProceduralVocabJSON, SpecialTokens, Tokenizer } from './types.js';
import { checkIds } from './validate.js';

const SEP_NAME = '<SEP>';
const PAD_NAME = '<PAD>';

/**
 * The integer vocabulary of the procedural tasks (Identity, Reverse, Sort, Set, Union, Delete,
 * Stack): content ids `0..V-1`, then `SEP = V` and `PAD = V+1`, so the model's vocabulary is `V+2`
 * (the paper's code with `vocab_size: 100` gives SEP 100, PAD 101, model vocab 102).
 *
 * Its text form is the ids separated by whitespace, with `<SEP>` and `<PAD>` for the specials:
 * `encode('3 1 <SEP> 1 3')` → `[3, 1, V, 1, 3]`. Ids outside the vocabulary are rejected with a
 * `data` ProcptError ({@link ProceduralVocab.validate}).
 */
export class ProceduralVocab implements Tokenizer {
  readonly name = 'procedural' as const;
  /** Number of content ids V. */
  readonly contentSize: number;
  /** Separator id, V. */
  readonly sep: number;
  /** Padding id, V+1. */
  readonly pad: number;
  readonly vocabSize: number;
  readonly special: SpecialTokens;

  /** @param options.contentSize the number of content ids V (the paper's `vocab_size`). */
  constructor(options: { contentSize: number }) {
    const v = options.contentSize;
    assertConfig(
      Number.isInteger(v) && v >= 1 && v <= 0xffff_fffd,
      'procedural contentSize',
      'an integer in [1, 4294967293]',
      v,
    );
    this.contentSize = v;
    this.sep = v;
    this.pad = v + 1;
    this.vocabSize = v + 2;
    this.special = Object.freeze({ sep: this.sep, pad: this.pad });
  }

  /** True when `id` is a content id (not SEP/PAD, not out of range). */
  isContent(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.contentSize;
  }

  /** Throws a `data` ProcptError naming the first id outside `[0, V+2)`. */
  validate(ids: ArrayLike<number>, what = 'procedural tokens'): void {
    checkIds(ids, this.vocabSize, what);
  }

  /** Parses whitespace-separated ids and `<SEP>`/`<PAD>`; anything else is a `data` error. */
  encode(text: string): number[] {
    const out: number[] = [];
    const words = text.split(/\s+/);
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      if (word === '') continue;
      if (word === SEP_NAME) out.push(this.sep);
      else if (word === PAD_NAME) out.push(this.pad);
      else if (/^\d+$/.test(word) && Number(word) < this.vocabSize) out.push(Number(word));
      else {
        throw new ProcptError(
          'data',
          `procedural text: ${JSON.stringify(word)} is not a token of this vocabulary (ids 0..${this.contentSize - 1}, ${SEP_NAME}, ${PAD_NAME})`,
          { hint: 'write tokens as decimal ids separated by spaces' },
        );
      }
    }
    return out;
  }

  /** Ids → `3 1 <SEP> 1 3`. Throws a `data` ProcptError on ids outside the vocabulary. */
  decode(ids: ArrayLike<number>): string {
    this.validate(ids, 'procedural decode');
    const parts: string[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      parts[i] = id === this.sep ? SEP_NAME : id === this.pad ? PAD_NAME : String(id);
    }
    return parts.join(' ');
  }

  toJSON(): ProceduralVocabJSON {
    return { name: 'procedural', contentSize: this.contentSize, vocabSize: this.vocabSize };
  }
}
