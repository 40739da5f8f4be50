import type { RandomSource } from '../rng.js';
import type { DiagnosticTask } from './types.js';

/**
 * Sorting diagnostic (used in the paper's weight-assembly table; its code is not published). procpt's
 * layout follows the paper's procedural SORT convention: `listLength` values i.i.d. uniform in
 * `1..vocab-1`, SEP = vocab, the ascending sort, PAD = vocab + 1 (model vocabulary vocab + 2). Scored on
 * the sorted output (the targets after SEP); no end marker, so the sequence needs no padding.
 */
export function sortTask(listLength = 10, vocab = 100): DiagnosticTask {
  if (!Number.isInteger(listLength) || listLength < 1 || listLength > 256) {
    throw new RangeError(`sort listLength must be an integer in [1, 256], got ${listLength}`);
  }
  if (!Number.isInteger(vocab) || vocab < 3 || vocab > 65536) {
    throw new RangeError(`sort vocab must be an integer in [3, 65536], got ${vocab}`);
  }
  const sep = vocab;
  const length = 2 * listLength + 1;
  const mask = (tokens: Int32Array): Uint8Array => {
    const m = new Uint8Array(tokens.length);
    for (let i = listLength + 1; i < Math.min(tokens.length, length); i++) m[i] = 1;
    return m;
  };
  return {
    name: 'sort',
    paperId: `sort_${listLength}_${vocab}`,
    vocabSize: vocab + 2,
    length,
    nPositions: Math.max(40, length),
    padId: vocab + 1,
    params: { listLength, vocab },
    scoringNote:
      'not in the paper code; procpt scores the listLength sorted output tokens (token accuracy), ' +
      'exactMatch = the whole sorted list right',
    generate(rng: RandomSource): Int32Array {
      const values = Array.from({ length: listLength }, () => 1 + rng.int(vocab - 1));
      const sorted = [...values].sort((x, y) => x - y);
      return Int32Array.from([...values, sep, ...sorted]);
    },
    paperMask: mask,
    answerMask: mask,
    render(tokens: Int32Array): string {
      const input = Array.from(tokens.subarray(0, listLength)).join(' ');
      const output = Array.from(tokens.subarray(listLength + 1, length)).join(' ');
      return `${input} | ${output}`;
    },
  };
}
