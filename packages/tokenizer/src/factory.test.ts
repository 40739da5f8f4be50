import { describe, expect, it } from 'vitest';
import { encodeDocuments } from './documents.js';
import { createTokenizer, tokenizerFromJSON } from './factory.js';
import { Gpt2Tokenizer } from './gpt2.js';
import { ProceduralVocab } from './procedural.js';
import type { TokenizerJSON } from './types.js';

describe('createTokenizer / tokenizerFromJSON', () => {
  it('creates the text tokenizers by name', () => {
    expect(createTokenizer('gpt2').vocabSize).toBe(50257);
    expect(createTokenizer('char').vocabSize).toBe(99);
    // @ts-expect-error testing a JS caller
    expect(() => createTokenizer('bert')).toThrow(/unknown tokenizer "bert".*/);
  });

  it('round-trips every tokenizer through JSON', () => {
    const all = [
      new Gpt2Tokenizer(),
      new Gpt2Tokenizer({ endOfText: 'special' }),
      createTokenizer('char'),
      new ProceduralVocab({ contentSize: 64 }),
    ];
    for (const tok of all) {
      const json = JSON.parse(JSON.stringify(tok.toJSON())) as TokenizerJSON;
      const back = tokenizerFromJSON(json);
      expect(back.toJSON()).toEqual(tok.toJSON());
      expect(back.special).toEqual(tok.special);
      const sample = tok.name === 'procedural' ? '1 2 <SEP> 2 1' : 'a<|endoftext|>b 1 2';
      expect(back.encode(sample)).toEqual(tok.encode(sample));
    }
  });

  it('rejects JSON that would change what ids mean', () => {
    expect(() => tokenizerFromJSON({ name: 'char', vocabSize: 100, alphabet: 'abc' })).toThrow(/alphabet/);
    expect(() =>
      tokenizerFromJSON({ name: 'gpt2', encoding: 'r50k_base', vocabSize: 50000, endOfText: 'text' }),
    ).toThrow(/vocabSize 50000 does not match/);
    expect(() => tokenizerFromJSON({ name: 'wordpiece' } as unknown as TokenizerJSON)).toThrow(
      /name must be gpt2, char or procedural/,
    );
    expect(() => tokenizerFromJSON(null as unknown as TokenizerJSON)).toThrow(/not an object/);
  });
});

describe('encodeDocuments', () => {
  const gpt2 = new Gpt2Tokenizer();
  it('joins documents with the explicit separator policy', () => {
    expect(encodeDocuments(gpt2, ['Hello', ' world'], { separator: 'eot' })).toEqual([
      15496, 50256, 995, 50256,
    ]);
    expect(encodeDocuments(gpt2, ['Hello', ' world'], { separator: 'none' })).toEqual([15496, 995]);
    expect(encodeDocuments(gpt2, ['Hello', ' world'])).toEqual([15496, 995]);
  });

  it('refuses eot for a tokenizer without an end-of-text id', () => {
    expect(() => encodeDocuments(createTokenizer('char'), ['a'], { separator: 'eot' })).toThrow(
      /char tokenizer has no end-of-text token/,
    );
  });
});
