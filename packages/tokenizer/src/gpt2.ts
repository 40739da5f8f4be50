import { assertConfig } from '@procpt/core';
import bpeRanks from 'gpt-tokenizer/bpeRanks/r50k_base';
import { encode as r50kEncode, setMergeCacheSize } from 'gpt-tokenizer/encoding/r50k_base';
import type { Gpt2TokenizerJSON, SpecialTokens, Tokenizer } from './types.js';
import { checkIds } from './validate.js';

const EOT_TEXT = '<|endoftext|>';
const EOT_ID = 50256;
const VOCAB_SIZE = 50257;

// Treat every special-token string as plain text: gpt-tokenizer throws on `<|endoftext|>` otherwise.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

let cacheSized = false;
function configureOnce(): void {
  if (cacheSized) return;
  cacheSized = true;
  // The library's default 100k-entry merge cache slows to a crawl on long runs of code
  // (measured in corpora.md §5); 10k keeps prose fast and code steady.
  setMergeCacheSize(10_000);
}

let tokenBytes: Uint8Array[] | undefined;
/** id → UTF-8 bytes of the token, built once from the bundled r50k ranks. */
function bytesTable(): Uint8Array[] {
  if (tokenBytes) return tokenBytes;
  const utf8 = new TextEncoder();
  const table: Uint8Array[] = new Array(VOCAB_SIZE);
  for (let id = 0; id < EOT_ID; id++) {
    const entry = bpeRanks[id];
    table[id] = typeof entry === 'string' ? utf8.encode(entry) : Uint8Array.from(entry ?? []);
  }
  table[EOT_ID] = utf8.encode(EOT_TEXT);
  tokenBytes = table;
  return table;
}

/** Options of {@link Gpt2Tokenizer}. */
export interface Gpt2TokenizerOptions {
  /**
   * How a literal `<|endoftext|>` inside the text is encoded: `text` (default) encodes it as the
   * ordinary characters (what tiktoken's `encode_ordinary` does, safe for scraped text);
   * `special` encodes each occurrence as the single id 50256.
   */
  endOfText?: 'text' | 'special';
}

/**
 * GPT-2's byte-level BPE (`r50k_base`, 50,257 ids, `<|endoftext|>` = 50256), fully offline:
 * the vocabulary is bundled by `gpt-tokenizer`. Ids are identical to tiktoken's `gpt2` encoding.
 *
 * Never throws on text: lone UTF-16 surrogates are encoded as U+FFFD (what UTF-8 encoding does).
 * `decode` joins the tokens' bytes and decodes them as UTF-8, writing U+FFFD for byte sequences
 * that are not valid UTF-8 (e.g. half of a multi-byte character).
 */
export class Gpt2Tokenizer implements Tokenizer {
  /** The `<|endoftext|>` id. */
  static readonly EOT = EOT_ID;
  readonly name = 'gpt2' as const;
  readonly vocabSize = VOCAB_SIZE;
  readonly special: SpecialTokens = Object.freeze({ eos: EOT_ID });
  /** The `<|endoftext|>` policy this instance encodes with. */
  readonly endOfText: 'text' | 'special';

  constructor(options: Gpt2TokenizerOptions = {}) {
    const policy = options.endOfText ?? 'text';
    assertConfig(policy === 'text' || policy === 'special', 'gpt2 endOfText', "'text' or 'special'", policy);
    this.endOfText = policy;
    configureOnce();
  }

  encode(text: string): number[] {
    if (this.endOfText === 'text' || !text.includes(EOT_TEXT)) return r50kEncode(text, PLAIN_TEXT);
    // Split ourselves: gpt-tokenizer's allowedSpecial only recognises the token as the whole input.
    const out: number[] = [];
    const pieces = text.split(EOT_TEXT);
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) out.push(EOT_ID);
      const piece = pieces[i] as string;
      if (piece !== '') for (const id of r50kEncode(piece, PLAIN_TEXT)) out.push(id);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    checkIds(ids, VOCAB_SIZE, 'gpt2 decode');
    const table = bytesTable();
    let length = 0;
    for (let i = 0; i < ids.length; i++) length += (table[ids[i] as number] as Uint8Array).length;
    const bytes = new Uint8Array(length);
    let offset = 0;
    for (let i = 0; i < ids.length; i++) {
      const piece = table[ids[i] as number] as Uint8Array;
      bytes.set(piece, offset);
      offset += piece.length;
    }
    return new TextDecoder('utf-8').decode(bytes);
  }

  toJSON(): Gpt2TokenizerJSON {
    return { name: 'gpt2', encoding: 'r50k_base', vocabSize: VOCAB_SIZE, endOfText: this.endOfText };
  }
}
