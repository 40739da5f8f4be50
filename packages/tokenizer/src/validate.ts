import { ProcptError } from '@procpt/core';

/**
 * Throws a `data` ProcptError naming the first id that is not an integer in `[0, vocabSize)`.
 * `what` names the caller, e.g. `char decode`.
 */
export function checkIds(ids: ArrayLike<number>, vocabSize: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
      throw new ProcptError(
        'data',
        `${what}: token id ${String(id)} at index ${i} is outside the vocabulary [0, ${vocabSize})`,
        { hint: 'the ids were made by a different tokenizer or vocabulary size' },
      );
    }
  }
}
