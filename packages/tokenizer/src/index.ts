export type {
  SpecialTokens,
  Tokenizer,
  TokenizerName,
  TokenizerJSON,
  Gpt2TokenizerJSON,
  CharTokenizerJSON,
  ProceduralVocabJSON,
} from './types.js';
export { ProceduralVocab } from './procedural.js';
export { CharTokenizer, CHAR_ALPHABET } from './char.js';
export { Gpt2Tokenizer } from './gpt2.js';
export type { Gpt2TokenizerOptions } from './gpt2.js';
export { createTokenizer, tokenizerFromJSON, TEXT_TOKENIZERS } from './factory.js';
export { encodeDocuments, separatorId } from './documents.js';
export type { SeparatorPolicy, EncodeDocumentsOptions } from './documents.js';
export {
  SHARD_MAGIC,
  SHARD_HEADER_BYTES,
  SHARD_MAX_TOKENS,
  isTokenShard,
  versionForVocab,
} from './shard-format.js';
export type { ShardVersion } from './shard-format.js';
export { ShardWriter, shardByteLength } from './shard-writer.js';
export type { ShardWriterOptions } from './shard-writer.js';
export { ShardReader, readShardInfo, readShard, readShardRange } from './shard-reader.js';
export type { ShardInfo } from './shard-reader.js';
export { tokenizeToShard } from './pipeline.js';
export type { TextDocument, TokenizeProgress, TokenizeToShardOptions, TokenizeResult } from './pipeline.js';
export { listInputFiles, readTextChunks, rechunkText, findSafeCut } from './text-input.js';
export type { TextChunkOptions, ReadTextOptions } from './text-input.js';
