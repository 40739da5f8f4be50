import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type GeneratorSpec,
  type Mixture,
  TYPE_NAMES,
  createGenerator as createTyped,
  generateTokenChunks,
  generatorSource,
  listTypes,
  mixtureEntropy,
  packBatch,
  packedBatches,
  specOf,
  stream,
} from './index.js';

// These tests build specs at run time (every type in a loop, invalid specs), as JSON callers do: they
// go through the runtime validation, not the typed spec (see spec.test-d.ts for that).
const createGenerator = (spec: object) => createTyped(spec as GeneratorSpec);
const BASE = TYPE_NAMES.filter((t) => t !== 'shuffled' && t !== 'mixture');
const small = (type: string): Record<string, unknown> =>
  type === 'dyck' || type === 'dyck-shuffle'
    ? { k: 4, length: 40 }
    : type === 'markov'
      ? { states: 6, length: 30 }
      : type === 'eca'
        ? { width: 9, rows: 3 }
        : { vocabSize: 12, length: 10 };
const bytes = (s: { tokens: Int32Array; loss: Uint8Array }) => `${s.tokens.join(',')}|${s.loss.join('')}`;

describe('determinism', () => {
  it('sample i depends only on (seed, params, i): fresh generators, any order, any start', () => {
    for (const type of BASE) {
      const spec = { type, seed: 5, ...small(type) };
      const forward = [...stream(createGenerator(spec), { count: 12 })].map(bytes);
      const g = createGenerator(spec);
      const backward = Array.from({ length: 12 }, (_, j) => bytes(g.sample(11 - j))).reverse();
      expect(backward).toEqual(forward);
      const tail = [...stream(createGenerator(spec), { start: 7, count: 5 })].map(bytes);
      expect(tail).toEqual(forward.slice(7));
      expect(new Set(forward).size).toBeGreaterThan(1);
      const other = [...stream(createGenerator({ ...spec, seed: 6 }), { count: 12 })].map(bytes);
      expect(other).not.toEqual(forward);
    }
  });

  it('pinned bytes: dyck seed 42 sample 0 never changes silently', () => {
    const s = createGenerator({ type: 'dyck', k: 3, length: 16 }).sample(0);
    expect(Array.from(s.tokens)).toEqual(PINNED_DYCK);
  });

  it('describe() round-trips through specOf / createGenerator', () => {
    const specs = [
      ...BASE.map((type) => ({ type, seed: 9, ...small(type) })),
      { type: 'shuffled', seed: 3, base: { type: 'sort', vocabSize: 7, length: 5 } },
      {
        type: 'mixture',
        seed: 4,
        components: [
          { type: 'set', weight: 1 },
          { type: 'dyck', weight: 2, k: 2, length: 8 },
        ],
      },
    ];
    for (const spec of specs) {
      const g = createGenerator(spec);
      const again = createGenerator(specOf(g));
      expect(again.describe()).toEqual(g.describe());
      for (let i = 0; i < 5; i++) expect(bytes(again.sample(i))).toEqual(bytes(g.sample(i)));
    }
  });

  it('every type: ids in [0, vocabSize), length <= maxLength, no loss on PAD', () => {
    for (const type of BASE) {
      const g = createGenerator({ type, ...small(type) });
      for (const s of stream(g, { start: 100, count: 30 })) {
        expect(s.tokens.length).toBeLessThanOrEqual(g.maxLength);
        expect(s.loss.length).toBe(s.tokens.length);
        s.tokens.forEach((t, i) => {
          expect(t >= 0 && t < g.vocabSize).toBe(true);
          if (t === g.padId) expect(s.loss[i]).toBe(0);
        });
      }
    }
  });
});

describe('shuffled control', () => {
  it('keeps each sample multiset of (token, loss) pairs and its trailing padding', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BASE), fc.nat(1000), fc.nat(10_000), (type, seed, index) => {
        const base = createGenerator({ type, seed, ...small(type) });
        const shuffled = createGenerator({ type: 'shuffled', seed, base: { type, ...small(type) } });
        const a = base.sample(index);
        const b = shuffled.sample(index);
        const pairs = (s: typeof a) =>
          Array.from(s.tokens, (t, i) => `${t}:${s.loss[i]}`)
            .sort()
            .join();
        expect(pairs(b)).toEqual(pairs(a));
        let pad = a.tokens.length;
        while (pad > 0 && a.tokens[pad - 1] === base.padId) pad--;
        expect(Array.from(b.tokens.subarray(pad))).toEqual(Array.from(a.tokens.subarray(pad)));
      }),
      { numRuns: 80 },
    );
  });

  it('destroys the structure: shuffled Dyck words are rarely balanced', () => {
    const g = createGenerator({ type: 'shuffled', base: { type: 'dyck', k: 2, length: 32 } });
    let balanced = 0;
    for (const s of stream(g, { count: 50 })) {
      const stack: number[] = [];
      let ok = true;
      for (const t of s.tokens) {
        if (t < 2) stack.push(t);
        else if (stack.pop() !== t - 2) ok = false;
      }
      if (ok && stack.length === 0) balanced++;
    }
    expect(balanced).toBeLessThan(5);
  });
});

describe('mixtures', () => {
  it('component proportions match the weights within 4 sigma; entropy of the weights', () => {
    const weights = [3, 1, 1];
    const g = createGenerator({
      type: 'mixture',
      components: [
        { type: 'set', weight: 3 },
        { type: 'union', weight: 1 },
        { type: 'dyck', weight: 1, k: 8, length: 64 },
      ],
    }) as Mixture;
    const n = 20_000;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const c = g.component(i);
      counts[c] = (counts[c] as number) + 1;
    }
    weights.forEach((w, c) => {
      const p = w / 5;
      expect(Math.abs((counts[c] as number) - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    });
    expect(g.entropy).toBeCloseTo(-(0.6 * Math.log(0.6) + 2 * 0.2 * Math.log(0.2)), 12);
    expect(g.describe().entropyBits).toBeCloseTo(g.entropy / Math.LN2, 12);
    expect(mixtureEntropy([1])).toBe(0);
    expect(mixtureEntropy([1, 1])).toBeCloseTo(Math.LN2, 12);
    // shared layout: the widest vocabulary (set/union: 102 > dyck: 17); samples are the components' own
    expect(g.vocabSize).toBe(102);
    expect(g.maxLength).toBe(130);
    for (let i = 0; i < 20; i++) {
      const c = g.component(i);
      expect(bytes(g.sample(i))).toEqual(bytes((g.components[c] as Mixture['components'][0]).sample(i)));
    }
  });

  it('offset layout gives each type its own id range', () => {
    const g = createGenerator({
      type: 'mixture',
      layout: 'offset',
      components: [
        { type: 'dyck', weight: 1, k: 2, length: 8 },
        { type: 'eca', weight: 1, width: 5 },
      ],
    }) as Mixture;
    expect(g.vocabSize).toBe(5 + 4);
    expect(g.offsets).toEqual([0, 5]);
    for (let i = 0; i < 40; i++) {
      const s = g.sample(i);
      const inRange = g.component(i) === 0 ? (t: number) => t < 5 : (t: number) => t >= 5 && t < 9;
      for (const t of s.tokens) expect(inRange(t)).toBe(true);
    }
  });
});

describe('packing', () => {
  it('packBatch right-pads with loss 0 and rejects samples that do not fit', () => {
    const g = createGenerator({ type: 'set', vocabSize: 10, length: 4 });
    const samples = [...stream(g, { count: 3 })];
    const b = packBatch(samples, 12, g.padId);
    expect([b.batch, b.length]).toEqual([3, 12]);
    samples.forEach((s, r) => {
      expect(Array.from(b.tokens.subarray(r * 12, r * 12 + 9))).toEqual(Array.from(s.tokens));
      expect(Array.from(b.tokens.subarray(r * 12 + 9, r * 12 + 12))).toEqual([11, 11, 11]);
      expect(Array.from(b.loss.subarray(r * 12 + 9, r * 12 + 12))).toEqual([0, 0, 0]);
    });
    expect(() => packBatch(samples, 5, 11)).toThrow(/does not fit/);
  });

  it('concat packing: rows cut the sample stream, row starts unscored, cursor resumes exactly', () => {
    const g = createGenerator({ type: 'dyck', k: 3, length: 10 });
    const it1 = packedBatches(g, { batch: 2, length: 7, packing: 'concat' });
    const first = it1.next().value;
    const second = it1.next().value;
    if (!first || !second) throw new Error('no batch');
    const flat = [...stream(g, { count: 3 })].flatMap((s) => Array.from(s.tokens));
    expect(Array.from(first.tokens)).toEqual(flat.slice(0, 14));
    expect(first.cursor).toEqual({ index: 1, offset: 4 });
    expect(first.loss[0]).toBe(0);
    expect(first.loss[7]).toBe(0);
    expect(first.loss[10]).toBe(0); // sample 1's first token
    const resumed = packedBatches(g, { batch: 2, length: 7, packing: 'concat', cursor: first.cursor }).next()
      .value;
    expect(resumed && Array.from(resumed.tokens)).toEqual(Array.from(second.tokens));
  });

  it('generatorSource: pad cursor {index} resumes exactly; describe() names the packing', async () => {
    const g = createGenerator({ type: 'reverse', vocabSize: 9, length: 3 });
    const src = generatorSource(g);
    expect(src.describe()).toMatchObject({ kind: 'procgen', type: 'reverse', packing: 'pad', vocabSize: 11 });
    const seen: string[] = [];
    let cursor: Record<string, number | string | boolean | null> = {};
    for await (const b of src.batches({ batch: 2, length: 7 })) {
      seen.push(b.tokens.join());
      if (seen.length === 2) cursor = b.cursor;
      if (seen.length === 3) break;
    }
    expect(cursor).toEqual({ index: 4 });
    for await (const b of src.batches({ batch: 2, length: 7, cursor })) {
      expect(b.tokens.join()).toEqual(seen[2]);
      break;
    }
    await expect(async () => {
      for await (const _ of src.batches({ batch: 2, length: 5 })) break;
    }).rejects.toThrow(/up to 7 tokens/);
    await expect(async () => {
      for await (const _ of src.batches({ batch: 2, length: 7, cursor: { index: -1 } })) break;
    }).rejects.toThrow(/cursor.index/);
  });
});

describe('spec validation', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ type: 'dyck', k: 0 }, /^dyck\.k must be an integer in \[1, 32767\], got 0$/],
    [{ type: 'dyck', length: 7 }, /^dyck\.length must be an even integer in \[2, \d+\], got 7$/],
    [{ type: 'dyck', pOpen: 1.5 }, /^dyck\.pOpen must be a number in \[0, 1\], got 1\.5$/],
    [{ type: 'sort', vocabSize: 'ten' }, /^sort\.vocabSize must be an integer in \[2, \d+\], got "ten"$/],
    [{ type: 'eca', rule: 256 }, /^eca\.rule must be an integer in \[0, 255\], got 256$/],
    [{ type: 'markov', alpha: 0 }, /^markov\.alpha must be a number in \(0, 1000\], got 0$/],
    [{ type: 'dyck', depth: 3 }, /^dyck has no parameter "depth"$/],
    [{ type: 'dyck', seed: -1 }, /^dyck\.seed must be an integer in \[0, \d+\], got -1$/],
    [{ type: 'tree' }, /^type must be one of identity, .*, got "tree"$/],
    [{ type: 'shuffled' }, /^shuffled\.base\.type must be one of/],
    [{ type: 'mixture', components: [] }, /^mixture\.components: /],
    [
      { type: 'mixture', components: [{ type: 'set' }] },
      /^mixture\.components\[0\]\.weight must be a number > 0/,
    ],
    [
      {
        type: 'mixture',
        components: [
          { type: 'set', weight: 1 },
          { type: 'dyck', weight: 1, k: 0 },
        ],
      },
      /^mixture\.components\[1\]\.dyck\.k must be an integer in \[1, 32767\], got 0$/,
    ],
  ];
  it.each(bad)('%j → a config error naming the field', (spec, message) => {
    try {
      createGenerator(spec as { type: string });
      expect.unreachable('should have thrown');
    } catch (error) {
      expect((error as { code?: string }).code).toBe('config');
      expect((error as Error).message).toMatch(message);
    }
  });

  it('listTypes() lists every type with params, defaults and ranges', () => {
    const types = listTypes();
    expect(types.map((t) => t.type)).toEqual([...TYPE_NAMES]);
    const dyck = types.find((t) => t.type === 'dyck');
    expect(dyck?.params.map((p) => [p.name, p.default])).toEqual([
      ['k', 64],
      ['length', 2048],
      ['pOpen', 0.5],
    ]);
    expect(createGenerator({ type: 'dyck' }).params).toEqual({ k: 64, length: 2048, pOpen: 0.5 });
    expect(createGenerator({ type: 'union' }).maxLength).toBe(130);
    expect(createGenerator({ type: 'delete' }).maxLength).toBe(131);
    expect(createGenerator({ type: 'stack' }).maxLength).toBe(128);
  });
});

const PINNED_DYCK = [2, 1, 2, 5, 4, 0, 2, 5, 2, 5, 2, 5, 0, 3, 3, 5];

describe('generateTokenChunks', () => {
  it('streams exactly the requested tokens: the concatenated samples, cut at the end', async () => {
    const spec: GeneratorSpec = { type: 'sort', vocabSize: 20, length: 5 };
    const flat = [...stream(createGenerator(spec), { start: 3, count: 40 })].flatMap((s) =>
      Array.from(s.tokens),
    );
    const got: number[] = [];
    let last = -1;
    for await (const chunk of generateTokenChunks(spec, {
      start: 3,
      tokens: 250,
      chunkTokens: 30,
      workers: 0,
    })) {
      expect(chunk.firstIndex).toBeGreaterThan(last);
      last = chunk.firstIndex;
      got.push(...chunk.tokens);
    }
    expect(got).toEqual(flat.slice(0, 250));
    const whole: number[] = [];
    for await (const chunk of generateTokenChunks(spec, { start: 3, samples: 7, workers: 0 }))
      whole.push(...chunk.tokens);
    expect(whole).toEqual(flat.slice(0, 77));
  });

  it('validates its options and the spec before starting', async () => {
    const run = async (
      opts: Parameters<typeof generateTokenChunks>[1],
      spec: GeneratorSpec = { type: 'dyck' },
    ) => {
      for await (const _ of generateTokenChunks(spec, opts)) break;
    };
    await expect(run({})).rejects.toThrow(/exactly one of samples and tokens/);
    await expect(run({ tokens: -1 })).rejects.toThrow(/tokens must be a non-negative integer/);
    await expect(run({ tokens: 5 }, { type: 'dyck', k: 0 } as never)).rejects.toThrow(/dyck\.k must be/);
  });
});
