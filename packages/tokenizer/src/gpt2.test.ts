import fc from 'fast-check';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2Ranks from 'js-tiktoken/ranks/gpt2';
import { describe, expect, it } from 'vitest';
import { Gpt2Tokenizer } from './gpt2.js';

describe('Gpt2Tokenizer', () => {
  const tok = new Gpt2Tokenizer();

  it('gives the known GPT-2 ids', () => {
    expect(tok.encode('Hello world')).toEqual([15496, 995]);
    expect(tok.decode([15496, 995])).toBe('Hello world');
    expect(tok.vocabSize).toBe(50257);
    expect(Gpt2Tokenizer.EOT).toBe(50256);
    expect(tok.special).toEqual({ eos: 50256 });
  });

  it('encodes <|endoftext|> in text as plain text by default and as 50256 when asked', () => {
    const text = 'a<|endoftext|>b<|endoftext|>';
    const plain = tok.encode(text);
    expect(plain).not.toContain(50256);
    expect(tok.decode(plain)).toBe(text);
    const special = new Gpt2Tokenizer({ endOfText: 'special' });
    expect(special.encode(text)).toEqual([64, 50256, 65, 50256]);
    expect(special.encode('<|endoftext|>')).toEqual([50256]);
    expect(special.decode([64, 50256, 65])).toBe('a<|endoftext|>b');
  });

  it('matches js-tiktoken (the reference implementation) on mixed text', () => {
    const reference = new Tiktoken(gpt2Ranks);
    const text = "It's 3.14159 —  naïve café\n\n\tdef f(x):\n        return x**2  # 日本語 🙂 <|endoftext|>";
    expect(tok.encode(text)).toEqual(reference.encode(text, [], []));
  });

  it('round-trips arbitrary Unicode strings and never throws', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => tok.decode(tok.encode(s)) === s));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const special = new Gpt2Tokenizer({ endOfText: 'special' });
        return special.decode(special.encode(s)) === s;
      }),
    );
  });

  it('encodes lone surrogates as U+FFFD instead of throwing', () => {
    expect(tok.decode(tok.encode('x\ud800y'))).toBe('x\ufffdy');
  });

  it('decodes partial UTF-8 as U+FFFD and rejects ids outside the vocabulary', () => {
    const bytes = tok.encode('é'); // one token or two byte tokens; decoding a prefix of a split character
    expect(tok.decode(bytes)).toBe('é');
    expect(tok.decode([172])).toBe('\ufffd');
    expect(() => tok.decode([50257])).toThrow(/token id 50257 at index 0 is outside the vocabulary/);
  });

  it('rejects an unknown endOfText policy', () => {
    // @ts-expect-error testing a JS caller
    expect(() => new Gpt2Tokenizer({ endOfText: 'drop' })).toThrow(/endOfText must be/);
  });
});
