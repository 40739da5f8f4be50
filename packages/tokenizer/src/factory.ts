import { ProcptError, formatValue } from '@procpt/core';
import { CHAR_ALPHABET, CharTokenizer } from './char.js';
import { Gpt2Tokenizer } from './gpt2.js';
import { ProceduralVocab } from './procedural.js';
import type { Tokenizer, TokenizerJSON } from './types.js';

/** Names accepted by {@link createTokenizer}: the text tokenizers. */
export const TEXT_TOKENIZERS = ['gpt2', 'char'] as const;

/**
 * Creates a text tokenizer by name: `gpt2` (GPT-2 BPE, `<|endoftext|>` in text encoded as plain
 * text) or `char` (the DM-Math character tokenizer). Unknown names are a `config` ProcptError.
 */
export function createTokenizer(name: 'gpt2' | 'char'): Tokenizer {
  if (name === 'gpt2') return new Gpt2Tokenizer();
  if (name === 'char') return new CharTokenizer();
  throw new ProcptError('config', `unknown tokenizer ${formatValue(name)}`, {
    hint: `use one of ${TEXT_TOKENIZERS.join(', ')}`,
  });
}

function bad(json: unknown, what: string): never {
  throw new ProcptError('config', `tokenizer JSON ${formatValue(json)}: ${what}`, {
    hint: 'pass the value a tokenizer’s toJSON() returned',
  });
}

/**
 * Rebuilds a tokenizer from {@link Tokenizer.toJSON} output (e.g. from a checkpoint's
 * `procpt.json`). Checks that the stored vocabulary size (and the char alphabet) match this
 * version's, so ids never silently change meaning; mismatches are a `config` ProcptError.
 */
export function tokenizerFromJSON(json: TokenizerJSON): Tokenizer {
  if (typeof json !== 'object' || json === null) bad(json, 'not an object');
  let tokenizer: Tokenizer;
  switch (json.name) {
    case 'gpt2': {
      if (json.encoding !== undefined && json.encoding !== 'r50k_base')
        bad(json, 'encoding must be r50k_base');
      const endOfText = json.endOfText ?? 'text';
      if (endOfText !== 'text' && endOfText !== 'special') bad(json, "endOfText must be 'text' or 'special'");
      tokenizer = new Gpt2Tokenizer({ endOfText });
      break;
    }
    case 'char':
      if (json.alphabet !== undefined && json.alphabet !== CHAR_ALPHABET)
        bad(json, 'alphabet differs from this version’s DM-Math alphabet');
      tokenizer = new CharTokenizer();
      break;
    case 'procedural':
      tokenizer = new ProceduralVocab({ contentSize: json.contentSize });
      break;
    default:
      bad(json, 'name must be gpt2, char or procedural');
  }
  if (json.vocabSize !== undefined && json.vocabSize !== tokenizer.vocabSize)
    bad(
      json,
      `vocabSize ${json.vocabSize} does not match the ${json.name} tokenizer's ${tokenizer.vocabSize}`,
    );
  return tokenizer;
}
