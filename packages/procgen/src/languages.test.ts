import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createGenerator } from './index.js';

// Property tests: every sample of every type obeys its language, its loss mask is exactly on the
// answer tokens and its ids are in range, for random seeds, indices and parameters.

const seedArb = fc.integer({ min: 0, max: 2 ** 40 });
const indexArb = fc.integer({ min: 0, max: 2 ** 40 });
const seqParams = fc.record({
  vocabSize: fc.integer({ min: 2, max: 300 }),
  length: fc.integer({ min: 2, max: 80 }),
});
const RUNS = { numRuns: 60 };

const arr = (a: ArrayLike<number>, from = 0, to = a.length) => Array.from(a).slice(from, to);
const ones = (loss: Uint8Array) => arr(loss).flatMap((v, i) => (v === 1 ? [i] : []));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function dedup(xs: number[]): number[] {
  return [...new Set(xs)];
}

function checkContent(xs: number[], V: number): void {
  for (const x of xs) expect(x >= 1 && x < V).toBe(true);
}

describe('sequence transformations', () => {
  it('identity, reverse, sort: x, SEP, f(x), loss exactly on f(x)', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const { vocabSize: V, length: L } = p;
        for (const type of ['identity', 'reverse', 'sort'] as const) {
          const g = createGenerator({ type, seed, ...p });
          const { tokens, loss } = g.sample(index);
          expect(tokens.length).toBe(2 * L + 1);
          expect(g.maxLength).toBe(2 * L + 1);
          expect(g.vocabSize).toBe(V + 2);
          const x = arr(tokens, 0, L);
          checkContent(x, V);
          expect(tokens[L]).toBe(V);
          const out = arr(tokens, L + 1);
          const want =
            type === 'identity' ? x : type === 'reverse' ? [...x].reverse() : [...x].sort((a, b) => a - b);
          expect(out).toEqual(want);
          expect(ones(loss)).toEqual(range(L + 1, 2 * L + 1));
        }
      }),
      RUNS,
    );
  });

  it('set: x, SEP, dedup(x), PAD…; loss on dedup(x) only', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const { vocabSize: V, length: L } = p;
        const { tokens, loss } = createGenerator({ type: 'set', seed, ...p }).sample(index);
        expect(tokens.length).toBe(2 * L + 1);
        const x = arr(tokens, 0, L);
        checkContent(x, V);
        const d = dedup(x);
        expect(arr(tokens, L)).toEqual([V, ...d, ...Array(L - d.length).fill(V + 1)]);
        expect(ones(loss)).toEqual(range(L + 1, L + 1 + d.length));
      }),
      RUNS,
    );
  });

  it('union: a, SEP, b, SEP, dedup(a ++ b), PAD to L slots', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const { vocabSize: V, length: L } = p;
        const h = Math.floor(L / 2);
        const g = createGenerator({ type: 'union', seed, ...p });
        const { tokens, loss } = g.sample(index);
        expect(tokens.length).toBe(2 * h + 2 + L);
        const a = arr(tokens, 0, h);
        const b = arr(tokens, h + 1, 2 * h + 1);
        checkContent([...a, ...b], V);
        expect([tokens[h], tokens[2 * h + 1]]).toEqual([V, V]);
        const u = dedup([...a, ...b]);
        expect(arr(tokens, 2 * h + 2)).toEqual([...u, ...Array(L - u.length).fill(V + 1)]);
        expect(ones(loss)).toEqual(range(2 * h + 2, 2 * h + 2 + u.length));
      }),
      RUNS,
    );
  });

  it('delete: x, SEP, d, SEP, x without its first d', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const { vocabSize: V, length: L } = p;
        const { tokens, loss } = createGenerator({ type: 'delete', seed, ...p }).sample(index);
        expect(tokens.length).toBe(2 * L + 3);
        const x = arr(tokens, 0, L);
        const d = tokens[L + 1] as number;
        checkContent([...x, d], V);
        const at = x.indexOf(d);
        const out = at < 0 ? x : [...x.slice(0, at), ...x.slice(at + 1)];
        expect(arr(tokens, L)).toEqual([V, d, V, ...out, ...Array(L - out.length).fill(V + 1)]);
        expect(ones(loss)).toEqual(range(L + 3, L + 3 + out.length));
      }),
      RUNS,
    );
  });

  it('ww: w, SEP, w with loss on the copy', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const h = Math.floor(p.length / 2);
        const { tokens, loss } = createGenerator({ type: 'ww', seed, ...p }).sample(index);
        const w = arr(tokens, 0, h);
        checkContent(w, p.vocabSize);
        expect(arr(tokens)).toEqual([...w, p.vocabSize, ...w]);
        expect(ones(loss)).toEqual(range(h + 1, 2 * h + 1));
      }),
      RUNS,
    );
  });
});

describe('stack', () => {
  it('re-simulated: legal ops, the paper rules, answer = final stack top first', () => {
    fc.assert(
      fc.property(seedArb, indexArb, seqParams, (seed, index, p) => {
        const { vocabSize: V, length: L } = p;
        const { tokens, loss } = createGenerator({ type: 'stack', seed, ...p }).sample(index);
        expect(tokens.length).toBe(2 * L);
        const stack: number[] = [];
        for (let step = 0; step < L; step++) {
          const op = tokens[step] as number;
          expect(op >= 0 && op < V).toBe(true);
          if (step === L - 1 && stack.length > 1) expect(op).toBe(0); // forced pop
          if (stack.length <= 1 && stack.length < V - 1) expect(op).not.toBe(0); // must push
          if (op === 0) {
            expect(stack.length).toBeGreaterThan(0);
            stack.pop();
          } else {
            expect(stack.includes(op)).toBe(false); // pushed tokens are unique on the stack
            stack.push(op);
          }
        }
        expect(tokens[L]).toBe(V);
        let answer = [...stack].reverse().slice(0, L - 1);
        // Reachable only when V is tiny: an empty final stack answers one fresh token.
        if (stack.length === 0) {
          answer = [tokens[L + 1] as number];
          checkContent(answer, V);
        }
        expect(arr(tokens, L + 1, L + 1 + answer.length)).toEqual(answer);
        expect(arr(tokens, L + 1 + answer.length).every((t) => t === V + 1)).toBe(true);
        expect(ones(loss)).toEqual(range(L + 1, L + 1 + answer.length));
      }),
      RUNS,
    );
  });
});

const dyckParams = fc.record({
  k: fc.integer({ min: 1, max: 70 }),
  half: fc.integer({ min: 1, max: 300 }),
  pOpen: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('bracket languages', () => {
  it('dyck: exact length, balanced, properly nested, ids < 2k, loss on all but the first', () => {
    fc.assert(
      fc.property(seedArb, indexArb, dyckParams, (seed, index, { k, half, pOpen }) => {
        const g = createGenerator({ type: 'dyck', seed, k, length: 2 * half, pOpen });
        expect(g.vocabSize).toBe(2 * k + 1);
        expect(g.padId).toBe(2 * k);
        const { tokens, loss } = g.sample(index);
        expect(tokens.length).toBe(2 * half);
        const stack: number[] = [];
        for (const t of tokens) {
          expect(t >= 0 && t < 2 * k).toBe(true);
          if (t < k) stack.push(t);
          else expect(stack.pop()).toBe(t - k);
        }
        expect(stack).toEqual([]);
        expect(ones(loss)).toEqual(range(1, tokens.length));
      }),
      RUNS,
    );
  });

  it('dyck-shuffle: per-type counts never negative, depth <= maxDepth', () => {
    fc.assert(
      fc.property(
        seedArb,
        indexArb,
        dyckParams,
        fc.integer({ min: 1, max: 20 }),
        (seed, index, { k, half, pOpen }, maxDepth) => {
          const g = createGenerator({ type: 'dyck-shuffle', seed, k, length: 2 * half + 1, pOpen, maxDepth });
          const { tokens, loss } = g.sample(index);
          expect(tokens.length).toBe(2 * half + 1);
          const counts = new Array<number>(k).fill(0);
          let depth = 0;
          for (const t of tokens) {
            expect(t >= 0 && t < 2 * k).toBe(true);
            if (t < k) {
              counts[t] = (counts[t] as number) + 1;
              depth++;
            } else {
              counts[t - k] = (counts[t - k] as number) - 1;
              expect(counts[t - k]).toBeGreaterThanOrEqual(0);
              depth--;
            }
            expect(depth).toBeLessThanOrEqual(maxDepth);
            expect(depth).toBeGreaterThanOrEqual(0);
          }
          expect(ones(loss)).toEqual(range(1, tokens.length));
        },
      ),
      RUNS,
    );
  });

  it('dyck-shuffle does cross: some word closes a type that is not the most recent open', () => {
    const g = createGenerator({ type: 'dyck-shuffle', k: 4, length: 64 });
    let crossed = false;
    for (let i = 0; i < 20 && !crossed; i++) {
      const stack: number[] = [];
      for (const t of g.sample(i).tokens) {
        if (t < 4) stack.push(t);
        else {
          if (stack[stack.length - 1] !== t - 4) crossed = true;
          stack.splice(stack.lastIndexOf(t - 4), 1);
        }
      }
    }
    expect(crossed).toBe(true);
  });
});

describe('eca', () => {
  it('rows follow the rule with a periodic boundary; SEP after each row; loss after row 1', () => {
    fc.assert(
      fc.property(
        seedArb,
        indexArb,
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 2, max: 6 }),
        (seed, index, rule, width, rows) => {
          const g = createGenerator({ type: 'eca', seed, rule, width, rows });
          expect(g.vocabSize).toBe(4);
          const { tokens, loss } = g.sample(index);
          expect(tokens.length).toBe(rows * (width + 1));
          const table = (l: number, c: number, r: number) => Math.floor(rule / 2 ** (4 * l + 2 * c + r)) % 2;
          for (let r = 0; r < rows; r++) {
            const row = arr(tokens, r * (width + 1), r * (width + 1) + width);
            for (const c of row) expect(c === 0 || c === 1).toBe(true);
            expect(tokens[r * (width + 1) + width]).toBe(2);
            if (r === 0) continue;
            const prev = arr(tokens, (r - 1) * (width + 1), (r - 1) * (width + 1) + width);
            const want = prev.map((c, i) =>
              table(prev[(i - 1 + width) % width] as number, c, prev[(i + 1) % width] as number),
            );
            expect(row).toEqual(want);
          }
          expect(ones(loss)).toEqual(range(width + 1, tokens.length));
        },
      ),
      RUNS,
    );
  });

  it('rule 110 by its lookup table (paper.md §2.10)', () => {
    const g = createGenerator({ type: 'eca', width: 8, rows: 2 });
    for (let i = 0; i < 5; i++) {
      const t = arr(g.sample(i).tokens);
      const row = t.slice(0, 8);
      const next = t.slice(9, 17);
      const lut: Record<string, number> = {
        '111': 0,
        '110': 1,
        '101': 1,
        '100': 0,
        '011': 1,
        '010': 1,
        '001': 1,
        '000': 0,
      };
      expect(next).toEqual(row.map((c, j) => lut[`${row[(j + 7) % 8]}${c}${row[(j + 1) % 8]}`]));
    }
  });
});

describe('markov', () => {
  it('ids in range, loss on all but the first, only transitions of positive probability', () => {
    const g = createGenerator({ type: 'markov', states: 12, length: 500, alpha: 0.1 });
    expect(g.vocabSize).toBe(13);
    const rows = (g as unknown as { transitionRow(s: number): Float64Array }).transitionRow;
    const table = Array.from({ length: 12 }, (_, s) => rows.call(g, s));
    for (const row of table) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (let i = 0; i < 5; i++) {
      const { tokens, loss } = g.sample(i);
      expect(ones(loss)).toEqual(range(1, 500));
      for (let j = 1; j < tokens.length; j++) {
        expect((table[tokens[j - 1] as number] as Float64Array)[tokens[j] as number]).toBeGreaterThan(0);
      }
    }
  });
});
