import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../rng.js';
import {
  ARITHMETIC_TOKENS as A,
  additionTask,
  diagnosticTask,
  haystackTask,
  multiplicationTask,
  reversedAdditionTask,
  sortTask,
} from './index.js';

const seeds = fc.integer({ min: 0, max: 2 ** 31 });

function digitsOf(tokens: Int32Array, from: number, to: number): string {
  return Array.from(tokens.subarray(from, to)).join('');
}

describe('haystack (condattendstream_30)', () => {
  const task = haystackTask();

  it('has the paper shape', () => {
    expect([task.paperId, task.vocabSize, task.length, task.nPositions, task.padId]).toEqual([
      'condattendstream_30',
      256,
      63,
      100,
      0,
    ]);
  });

  it('scores only the answer after the query, on a hand-written example', () => {
    // keys 3, 7 with values 5, 99; query key 7 → answer 99.
    const tokens = new Int32Array(63);
    tokens.set([131, 5, 135, 99, 128 + 30 + 7, 99]);
    const mask = task.paperMask(tokens);
    expect(Array.from(mask.keys()).filter((i) => mask[i])).toEqual([5]);
    expect(task.render(tokens)).toBe('k3 5 k7 99 ?k7 99');
  });

  it('draws valid examples (property)', () => {
    fc.assert(
      fc.property(seeds, (seed) => {
        const t = task.generate(seededRandom(seed));
        expect(t.length).toBe(63);
        let n = 0;
        while (t[2 * n] !== undefined && (t[2 * n] as number) >= 128 && (t[2 * n] as number) < 158) n++;
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(30);
        const keys = new Set<number>();
        for (let i = 0; i < n; i++) {
          keys.add(t[2 * i] as number);
          expect(t[2 * i + 1]).toBeGreaterThanOrEqual(1);
          expect(t[2 * i + 1]).toBeLessThanOrEqual(127);
        }
        expect(keys.size).toBe(n);
        const q = (t[2 * n] as number) - 30;
        const at = Array.from(t.subarray(0, 2 * n)).indexOf(q);
        expect(at % 2).toBe(0);
        expect(t[2 * n + 1]).toBe(t[at + 1]);
        expect(Array.from(t.subarray(2 * n + 2)).every((x) => x === 0)).toBe(true);
        expect(task.paperMask(t).reduce((s, x) => s + x, 0)).toBe(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('arithmetic tasks', () => {
  it('addition: hand-written example and the scoring quirk', () => {
    const task = additionTask();
    expect([task.paperId, task.vocabSize, task.length]).toEqual(['forwardaddition_5', 31, 19]);
    // 12345 + 67890 = 80235 (5-digit sum): 5 + 1 + 5 + 1 + 5 + 1 = 18 tokens, one PAD.
    const tokens = Int32Array.from([1, 2, 3, 4, 5, 10, 6, 7, 8, 9, 0, 11, 28, 20, 22, 23, 25, 30, 12]);
    const paper = Array.from(task.paperMask(tokens).keys()).filter((i) => task.paperMask(tokens)[i]);
    // Not the first answer digit (index 12); yes the other 4 digits, STOP (17) and the PAD after it (18).
    expect(paper).toEqual([13, 14, 15, 16, 17, 18]);
    const strict = task.answerMask(tokens);
    expect(Array.from(strict.keys()).filter((i) => strict[i])).toEqual([12, 13, 14, 15, 16, 17]);
    expect(task.render(tokens)).toBe('12345+67890=80235.');
  });

  it('addition: a 6-digit sum fills the row and STOP is not followed by a scored PAD', () => {
    const task = additionTask();
    const tokens = Int32Array.from([9, 9, 9, 9, 9, 10, 9, 9, 9, 9, 9, 11, 21, 29, 29, 29, 29, 28, 30]);
    const m = task.paperMask(tokens);
    expect(Array.from(m.keys()).filter((i) => m[i])).toEqual([13, 14, 15, 16, 17, 18]);
  });

  it('all three compute the right answer (property)', () => {
    const cases = [
      { task: additionTask(), op: (a: bigint, b: bigint) => a + b, rev: false, d: 5 },
      { task: reversedAdditionTask(), op: (a: bigint, b: bigint) => a + b, rev: true, d: 10 },
      { task: multiplicationTask(), op: (a: bigint, b: bigint) => a * b, rev: false, d: 5 },
    ];
    expect(cases.map((c) => [c.task.paperId, c.task.length])).toEqual([
      ['forwardaddition_5', 19],
      ['additionstream_10', 34],
      ['multiplication_5', 29],
    ]);
    for (const c of cases) {
      fc.assert(
        fc.property(seeds, (seed) => {
          const t = c.task.generate(seededRandom(seed));
          const d = c.d;
          expect(t[d]).toBe(A.operator);
          expect(t[2 * d + 1]).toBe(A.equals);
          expect(t[0]).toBeGreaterThan(c.rev ? -1 : 0);
          const read = (s: string) => BigInt(c.rev ? [...s].reverse().join('') : s);
          const a = read(digitsOf(t, 0, d));
          const b = read(digitsOf(t, d + 1, 2 * d + 1));
          expect(a >= 10n ** BigInt(d - 1) && a < 10n ** BigInt(d)).toBe(true);
          const stop = Array.from(t).indexOf(A.stop);
          const ans = Array.from(t.subarray(2 * d + 2, stop))
            .map((x) => x - A.answerDigitBase)
            .join('');
          expect(read(ans)).toBe(c.op(a, b));
          expect(Array.from(t.subarray(stop + 1)).every((x) => x === A.pad)).toBe(true);
        }),
        { numRuns: 100 },
      );
    }
  });

  it('reversed addition writes least-significant digit first', () => {
    const task = reversedAdditionTask(2);
    const t = task.generate(seededRandom(1));
    const a = Number([...digitsOf(t, 0, 2)].reverse().join(''));
    expect(a).toBeGreaterThanOrEqual(10);
  });
});

describe('sort', () => {
  it('layout and mask', () => {
    const task = sortTask(4, 10);
    const t = task.generate(seededRandom(3));
    expect(t.length).toBe(9);
    expect(t[4]).toBe(10);
    expect(Array.from(t.subarray(5))).toEqual(Array.from(t.subarray(0, 4)).sort((x, y) => x - y));
    expect(Array.from(task.paperMask(t))).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(task.vocabSize).toBe(12);
  });
});

describe('diagnosticTask', () => {
  it('resolves names and paper ids', () => {
    expect(diagnosticTask('condattendstream_20').length).toBe(43);
    expect(diagnosticTask('forwardaddition_3').length).toBe(13);
    expect(diagnosticTask('sort_5_20').vocabSize).toBe(22);
    expect(diagnosticTask('reversed-addition').paperId).toBe('additionstream_10');
  });

  it('rejects unknown names and bad parameters with usage errors', () => {
    expect(() => diagnosticTask('nope')).toThrow(/unknown diagnostic task/);
    expect(() => diagnosticTask('haystack_0')).toThrow(/unknown diagnostic task/);
    expect(() => diagnosticTask('haystack_99')).toThrow(/bad parameters/);
    expect(() => diagnosticTask('addition_3_5')).toThrow(/too many/);
  });
});
