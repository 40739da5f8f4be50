/**
 * @procpt/procgen — seeded, streaming generators of every procedural data type of the Procedural
 * Pretraining study, with the shuffled control, mixtures, batch packing and a trainer DataSource.
 *
 * @packageDocumentation
 */
export { Rng } from './rng.js';
export type { KeyPrefix } from './rng.js';
export type { Generator } from './generator.js';
export type {
  GeneratorSpec,
  GeneratorType,
  BaseGeneratorSpec,
  SequenceSpec,
  SequenceParams,
  HalvesSpec,
  HalvesParams,
  StackSpec,
  StackParams,
  DyckSpec,
  DyckParams,
  DyckShuffleSpec,
  DyckShuffleParams,
  EcaSpec,
  EcaParams,
  MarkovSpec,
  MarkovParams,
  ShuffledSpec,
  MixtureSpec,
  MixtureComponent,
} from './spec.js';
export { specOf } from './generator.js';
export { createGenerator, listTypes, TYPE_NAMES } from './create.js';
export type { TypeInfo, ParamInfo } from './create.js';
export { mixtureEntropy, Mixture, Shuffled } from './composite.js';
export type { MixtureLayout } from './composite.js';
export { stream, packBatch, packedBatches, generatorSource } from './stream.js';
export type { StreamOptions, PackOptions, SourceOptions } from './stream.js';
export { ecaStep } from './eca.js';
export { gamma, logGamma, dirichlet, normal } from './distributions.js';
export { generateTokenChunks, concatSamples } from './generate.js';
export type { TokenChunk, GenerateOptions } from './generate.js';
