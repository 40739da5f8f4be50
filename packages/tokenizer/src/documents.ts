import { ProcptError } from '@procpt/core';
import type { Tokenizer } from './types.js';

/**
 * How documents are joined into one token stream:
 * - `none`: concatenated with nothing between them (the paper's C4 pipeline);
 * - `eot`: the tokenizer's end-of-text id (`special.eos`, GPT-2's 50256) after every document
 *   (the paper's CodeParrot pipeline, HF `ConstantLengthDataset`).
 */
export type SeparatorPolicy = 'none' | 'eot';

/** Checks `policy` and returns the id to insert after each document, or `undefined` for `none`. */
export function separatorId(tokenizer: Tokenizer, policy: SeparatorPolicy): number | undefined {
  if (policy === 'none') return undefined;
  if (policy !== 'eot') {
    throw new ProcptError('config', `separator must be 'eot' or 'none', got ${JSON.stringify(policy)}`);
  }
  const eos = tokenizer.special.eos;
  if (eos === undefined) {
    throw new ProcptError('config', `the ${tokenizer.name} tokenizer has no end-of-text token`, {
      hint: "use separator 'none'",
    });
  }
  return eos;
}

/** Options of {@link encodeDocuments}. */
export interface EncodeDocumentsOptions {
  /** How documents are joined (default `none`). */
  separator?: SeparatorPolicy;
}

/**
 * Encodes documents into one token stream, joined by the explicit `separator` policy. For
 * corpora too large for memory, use {@link tokenizeToShard}, which streams.
 *
 * @example
 * encodeDocuments(new Gpt2Tokenizer(), ['Hello', 'world'], { separator: 'eot' })
 * // → [15496, 50256, 6894, 50256]
 */
export function encodeDocuments(
  tokenizer: Tokenizer,
  documents: Iterable<string>,
  options: EncodeDocumentsOptions = {},
): number[] {
  const sep = separatorId(tokenizer, options.separator ?? 'none');
  const out: number[] = [];
  for (const doc of documents) {
    for (const id of tokenizer.encode(doc)) out.push(id);
    if (sep !== undefined) out.push(sep);
  }
  return out;
}
