import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProceduralVocab } from './procedural.js';

describe('ProceduralVocab', () => {
  it('puts SEP at V and PAD at V+1 like the paper (vocab_size 100 → model vocab 102)', () => {
    const v = new ProceduralVocab({ contentSize: 100 });
    expect([v.sep, v.pad, v.vocabSize]).toEqual([100, 101, 102]);
    expect(v.special).toEqual({ sep: 100, pad: 101 });
    expect(v.isContent(99)).toBe(true);
    expect(v.isContent(100)).toBe(false);
  });

  it('encodes and decodes its text form', () => {
    const v = new ProceduralVocab({ contentSize: 10 });
    expect(v.encode(' 3 1\n<SEP> 1 3 <PAD> ')).toEqual([3, 1, 10, 1, 3, 11]);
    expect(v.decode([3, 1, 10, 1, 3, 11])).toBe('3 1 <SEP> 1 3 <PAD>');
  });

  it('round-trips arbitrary valid id sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.array(fc.nat()), (size, raw) => {
        const v = new ProceduralVocab({ contentSize: size });
        const ids = raw.map((x) => x % v.vocabSize);
        expect(v.encode(v.decode(ids))).toEqual(ids);
      }),
    );
  });

  it('rejects out-of-range ids and foreign text with a clear error', () => {
    const v = new ProceduralVocab({ contentSize: 10 });
    expect(() => v.validate([1, 12])).toThrow(/token id 12 at index 1 is outside the vocabulary \[0, 12\)/);
    expect(() => v.decode([-1])).toThrow(/outside/);
    expect(() => v.encode('1 12')).toThrow(/"12" is not a token/);
    expect(() => v.encode('1 x')).toThrow(/"x" is not a token/);
    expect(() => new ProceduralVocab({ contentSize: 0 })).toThrow(/contentSize must be/);
  });
});
