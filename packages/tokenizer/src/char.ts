import type { CharTokenizerJSON, SpecialTokens, Tokenizer } from './types.js';
import { checkIds } from './validate.js';

/**
 * The 95 content characters in id order, as the paper's DM-Math tokenizer lays them out:
 * lowercase letters, uppercase letters, digits, ASCII punctuation, space.
 */
export const CHAR_ALPHABET =
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789' +
  '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~' +
  ' ';

const PAD = CHAR_ALPHABET.length; // 95
const UNK = PAD + 1; // 96
const BOS = PAD + 2; // 97
const SEP = PAD + 3; // 98
const SPECIAL_NAMES = ['', '<UNK>', '<BOS>', '<SEP>'] as const;

// ASCII code → id (or UNK); characters at or above 128 are UNK.
const LOOKUP = (() => {
  const table = new Uint8Array(128).fill(UNK);
  for (let i = 0; i < CHAR_ALPHABET.length; i++) table[CHAR_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

/**
 * The character-level tokenizer the paper uses for DeepMind-Math: 95 printable ASCII characters
 * (ids 0..94, {@link CHAR_ALPHABET} order) then PAD = 95, UNK = 96, BOS = 97, SEP = 98: 99 ids.
 *
 * `encode` maps each Unicode code point outside the alphabet (tabs, newlines, `é`, emoji) to UNK
 * and never throws. `decode` follows the paper's code: PAD is dropped and UNK/BOS/SEP are written
 * as `<UNK>`, `<BOS>`, `<SEP>`.
 */
export class CharTokenizer implements Tokenizer {
  readonly name = 'char' as const;
  readonly vocabSize = CHAR_ALPHABET.length + 4;
  readonly special: SpecialTokens = Object.freeze({ pad: PAD, unk: UNK, bos: BOS, sep: SEP });

  encode(text: string): number[] {
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 128) out.push(LOOKUP[code] as number);
      else {
        // One UNK per code point: skip the low half of a surrogate pair.
        if (code >= 0xd800 && code <= 0xdbff) {
          const next = text.charCodeAt(i + 1);
          if (next >= 0xdc00 && next <= 0xdfff) i++;
        }
        out.push(UNK);
      }
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    checkIds(ids, this.vocabSize, 'char decode');
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      text += id < PAD ? CHAR_ALPHABET[id] : SPECIAL_NAMES[id - PAD];
    }
    return text;
  }

  toJSON(): CharTokenizerJSON {
    return { name: 'char', vocabSize: this.vocabSize, alphabet: CHAR_ALPHABET };
  }
}
