import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAR_ALPHABET, CharTokenizer } from './char.js';

// Python: string.ascii_letters + string.digits + string.punctuation + ' ' (the paper's order).
const PYTHON_ALPHABET =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ';

describe('CharTokenizer', () => {
  const tok = new CharTokenizer();

  it('has the paper layout: 95 characters, then PAD, UNK, BOS, SEP = 99 ids', () => {
    expect(CHAR_ALPHABET).toBe(PYTHON_ALPHABET);
    expect(tok.vocabSize).toBe(99);
    expect(tok.special).toEqual({ pad: 95, unk: 96, bos: 97, sep: 98 });
    expect(tok.encode('aA0! ')).toEqual([0, 26, 52, 62, 94]);
  });

  it('round-trips every printable ASCII string', () => {
    const printable = fc.string({ unit: fc.constantFrom(...CHAR_ALPHABET) });
    fc.assert(fc.property(printable, (s) => tok.decode(tok.encode(s)) === s));
  });

  it('maps each unknown code point to one UNK and never throws', () => {
    expect(tok.encode('a\tb\né😀\ud800')).toEqual([0, 96, 1, 96, 96, 96, 96]);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const ids = tok.encode(s);
        return ids.length === [...s].length && ids.every((id) => id >= 0 && id < 99 && id !== 95);
      }),
    );
  });

  it('decodes specials like the paper: PAD dropped, names for UNK/BOS/SEP', () => {
    expect(tok.decode([97, 7, 98, 8, 95, 95, 96])).toBe('<BOS>h<SEP>i<UNK>');
  });

  it('rejects ids outside the vocabulary on decode', () => {
    expect(() => tok.decode([99])).toThrow(/token id 99 at index 0 is outside the vocabulary \[0, 99\)/);
    expect(() => tok.decode([1, -1])).toThrow(/index 1/);
    expect(() => tok.decode([0.5])).toThrow(/outside/);
  });
});
