/**
 * Ids of the special tokens a tokenizer defines. A field is absent when the tokenizer has no such
 * token (GPT-2 has only `eos`; the procedural vocabulary has `sep` and `pad`).
 */
export interface SpecialTokens {
  /** Padding id: fills packed rows, never a scored target. */
  pad?: number;
  /** Separator between a task's input and output (procedural tasks, DM-Math question/answer). */
  sep?: number;
  /** Beginning-of-sequence id (DM-Math problems start with it). */
  bos?: number;
  /** End-of-text id, used as the document separator (GPT-2's `<|endoftext|>` = 50256). */
  eos?: number;
  /** Id that stands for any character outside the vocabulary. */
  unk?: number;
}

/** The names of the tokenizers procpt ships. */
export type TokenizerName = 'gpt2' | 'char' | 'procedural';

/** Serialised form of the GPT-2 tokenizer. */
export interface Gpt2TokenizerJSON {
  name: 'gpt2';
  /** Always `r50k_base` (GPT-2's BPE, 50,257 ids). */
  encoding: 'r50k_base';
  vocabSize: number;
  /** How a literal `<|endoftext|>` inside the text is encoded. */
  endOfText: 'text' | 'special';
}

/** Serialised form of the DM-Math character tokenizer. */
export interface CharTokenizerJSON {
  name: 'char';
  vocabSize: number;
  /** The content characters in id order (ids 0..94); the four special ids follow. */
  alphabet: string;
}

/** Serialised form of a procedural integer vocabulary. */
export interface ProceduralVocabJSON {
  name: 'procedural';
  /** Number of content ids V (ids 0..V-1); SEP = V, PAD = V+1. */
  contentSize: number;
  vocabSize: number;
}

/** What {@link Tokenizer.toJSON} returns and {@link tokenizerFromJSON} accepts. */
export type TokenizerJSON = Gpt2TokenizerJSON | CharTokenizerJSON | ProceduralVocabJSON;

/**
 * A text ↔ token-id mapping. Every procpt tokenizer implements it; checkpoints store
 * `toJSON()` so a model can be paired with the exact tokenizer it was trained with.
 */
export interface Tokenizer {
  /** `gpt2`, `char` or `procedural`. */
  readonly name: TokenizerName;
  /** Number of ids, specials included: the model's embedding rows. */
  readonly vocabSize: number;
  /** Ids of the special tokens this tokenizer defines. */
  readonly special: SpecialTokens;
  /** Text → ids. Never throws on unusual characters (see each tokenizer for its policy). */
  encode(text: string): number[];
  /** Ids → text. Throws a `data` ProcptError on ids outside `[0, vocabSize)`. */
  decode(ids: ArrayLike<number>): string;
  /** A JSON value that {@link tokenizerFromJSON} turns back into an equal tokenizer. */
  toJSON(): TokenizerJSON;
}
