import type { RandomSource } from '../rng.js';
import type { DiagnosticTask } from './types.js';

/**
 * Needle-in-a-haystack, the paper's `condattendstream_<maxPairs>` (default 30).
 *
 * Layout (vocab 256, half = 128): `n ~ U{1..maxPairs}` distinct keys `k ∈ [0, maxPairs)` shown as token
 * `128 + k`, each followed by a value in `1..127`; then the query token `128 + maxPairs + k` for one of the
 * keys, then its value (the answer); zero padding to `2·maxPairs + 3` tokens. The paper scores only the
 * position whose *input* is the query token (`input ≥ 128 + maxPairs`), i.e. the answer.
 */
export function haystackTask(maxPairs = 30): DiagnosticTask {
  if (!Number.isInteger(maxPairs) || maxPairs < 1 || maxPairs > 63) {
    throw new RangeError(`haystack maxPairs must be an integer in [1, 63], got ${maxPairs}`);
  }
  const vocabSize = 256;
  const half = vocabSize / 2;
  const queryBase = half + maxPairs;
  const length = 2 * maxPairs + 3;
  const isQuery = (token: number): boolean => token >= queryBase;
  const paperMask = (tokens: Int32Array): Uint8Array => {
    const mask = new Uint8Array(tokens.length);
    for (let i = 1; i < tokens.length; i++) if (isQuery(tokens[i - 1] ?? 0)) mask[i] = 1;
    return mask;
  };
  return {
    name: 'haystack',
    paperId: `condattendstream_${maxPairs}`,
    vocabSize,
    length,
    nPositions: 100,
    padId: 0,
    params: { maxPairs },
    scoringNote:
      'scored only where the input token is the query (≥ 128 + maxPairs): the one answer value per example; ' +
      'token accuracy therefore equals per-example exact match',
    generate(rng: RandomSource): Int32Array {
      const n = 1 + rng.int(maxPairs);
      // Partial Fisher–Yates: the first n entries are n distinct keys in random order.
      const keys = Array.from({ length: maxPairs }, (_, k) => k);
      for (let i = 0; i < n; i++) {
        const j = i + rng.int(maxPairs - i);
        const tmp = keys[i] as number;
        keys[i] = keys[j] as number;
        keys[j] = tmp;
      }
      const tokens = new Int32Array(length); // zero padding
      const values: number[] = [];
      for (let i = 0; i < n; i++) {
        const value = 1 + rng.int(half - 1);
        values.push(value);
        tokens[2 * i] = half + (keys[i] as number);
        tokens[2 * i + 1] = value;
      }
      const q = rng.int(n);
      tokens[2 * n] = queryBase + (keys[q] as number);
      tokens[2 * n + 1] = values[q] as number;
      return tokens;
    },
    paperMask,
    answerMask: paperMask,
    render(tokens: Int32Array): string {
      const parts: string[] = [];
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i] as number;
        if (t === 0) break;
        if (t >= queryBase) parts.push(`?k${t - queryBase}`);
        else if (t >= half) parts.push(`k${t - half}`);
        else parts.push(String(t));
      }
      return parts.join(' ');
    },
  };
}
