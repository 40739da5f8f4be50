import type { MixtureLayout } from './composite.js';

// The spec `createGenerator` takes, typed per type: a discriminated union on `type`, so a typo in a type
// or parameter name is a compile error. `create.ts` checks at compile time that each type's parameters
// here are exactly the ones its runtime definition validates; JavaScript callers and specs read from
// JSON are still validated at run time (zod), with the same messages.

/** Fields every spec may have. */
interface SpecSeed {
  /** The seed every sample is derived from: a non-negative safe integer (default 42, the paper's). */
  seed?: number;
}

/** Parameters of `identity`, `reverse`, `sort`, `set` and `delete`: `x, SEP, f(x)`. */
export interface SequenceParams {
  /** V: content tokens are 1..V-1, SEP = V, PAD = V+1 (vocabulary V+2); an integer in [2, 1048576], default 100. */
  vocabSize?: number;
  /** L: the length of the input sequence x; an integer in [1, 1048576], default 64. */
  length?: number;
}

/** Parameters of `union` and `ww`: two halves of floor(L/2) tokens. */
export interface HalvesParams {
  /** V: content tokens are 1..V-1, SEP = V, PAD = V+1 (vocabulary V+2); an integer in [2, 1048576], default 100. */
  vocabSize?: number;
  /** L: the two halves have floor(L/2) tokens each; an integer in [2, 1048576], default 64. */
  length?: number;
}

/** Parameters of `stack`: push/pop operations, then the final stack. */
export interface StackParams {
  /** V: 0 = POP, 1..V-1 = PUSH t, SEP = V, PAD = V+1 (vocabulary V+2); an integer in [2, 1048576], default 100. */
  vocabSize?: number;
  /** L: the number of operations; an integer in [1, 1048576], default 64. */
  length?: number;
}

/** Parameters of `dyck`: balanced k-Dyck words. */
export interface DyckParams {
  /** Bracket types: opens 0..k-1, closes k..2k-1, PAD = 2k; an integer in [1, 32767], default 64. */
  k?: number;
  /** n: the exact length of every (balanced) word; an even integer in [2, 67108864], default 2048. */
  length?: number;
  /** The probability of opening when free to; a number in [0, 1], default 0.5. */
  pOpen?: number;
}

/** Parameters of `dyck-shuffle`: k-Dyck shuffle words (crossing allowed, bounded depth). */
export interface DyckShuffleParams {
  /** Bracket types: opens 0..k-1, closes k..2k-1, PAD = 2k; an integer in [1, 32767], default 64. */
  k?: number;
  /** n: the exact length of every word; an integer in [1, 67108864], default 2048. */
  length?: number;
  /** The probability of opening when free to; a number in [0, 1], default 0.5. */
  pOpen?: number;
  /** A close is forced at this many open brackets; an integer in [1, 67108864], default 16. */
  maxDepth?: number;
}

/** Parameters of `eca`: rows of an elementary cellular automaton. */
export interface EcaParams {
  /** The Wolfram rule number (110 = the paper's Rule 110); an integer in [0, 255], default 110. */
  rule?: number;
  /** W: cells per row (periodic boundary); an integer in [1, 1048576], default 32. */
  width?: number;
  /** R: successive rows, the first one random; an integer in [2, 65536], default 4. */
  rows?: number;
}

/** Parameters of `markov`: a first-order Markov chain with Dirichlet(alpha) transition rows. */
export interface MarkovParams {
  /** V: states = token ids 0..V-1, PAD = V; an integer in [2, 2048], default 100. */
  states?: number;
  /** Tokens per sample; an integer in [2, 67108864], default 2048. */
  length?: number;
  /** The Dirichlet concentration of each transition row (small = peaked); a number in (0, 1000], default 0.1. */
  alpha?: number;
}

/** A spec of `identity`, `reverse`, `sort`, `set` or `delete`. */
export interface SequenceSpec extends SpecSeed, SequenceParams {
  type: 'identity' | 'reverse' | 'sort' | 'set' | 'delete';
}

/** A spec of `union` or `ww`. */
export interface HalvesSpec extends SpecSeed, HalvesParams {
  type: 'union' | 'ww';
}

/** A spec of `stack`. */
export interface StackSpec extends SpecSeed, StackParams {
  type: 'stack';
}

/** A spec of `dyck`. */
export interface DyckSpec extends SpecSeed, DyckParams {
  type: 'dyck';
}

/** A spec of `dyck-shuffle`. */
export interface DyckShuffleSpec extends SpecSeed, DyckShuffleParams {
  type: 'dyck-shuffle';
}

/** A spec of `eca`. */
export interface EcaSpec extends SpecSeed, EcaParams {
  type: 'eca';
}

/** A spec of `markov`. */
export interface MarkovSpec extends SpecSeed, MarkovParams {
  type: 'markov';
}

/** The shuffled control: `base`'s samples with their tokens permuted (the base inherits the seed). */
export interface ShuffledSpec extends SpecSeed {
  type: 'shuffled';
  /** The spec of the type to shuffle, e.g. `{ type: 'dyck' }`. */
  base: GeneratorSpec;
}

/** One component of a mixture: a spec and its weight (> 0). */
export type MixtureComponent = GeneratorSpec & {
  /** The component's weight: it is drawn with probability `weight / Σ weights`. */
  weight: number;
};

/** A weighted mixture of types, chosen per sample index. */
export interface MixtureSpec extends SpecSeed {
  type: 'mixture';
  /** A non-empty array of specs with a weight > 0; components without a seed get one from the mixture's. */
  components: MixtureComponent[];
  /** `shared` (default) keeps ids as they are; `offset` shifts each component into its own id range. */
  layout?: MixtureLayout;
}

/** A spec of one base (non-composite) type. */
export type BaseGeneratorSpec =
  | SequenceSpec
  | HalvesSpec
  | StackSpec
  | DyckSpec
  | DyckShuffleSpec
  | EcaSpec
  | MarkovSpec;

/**
 * What `createGenerator` takes: a type name, an optional seed (default 42) and that type's parameters
 * (each optional, defaults are the paper's). A discriminated union on `type`, so
 * `createGenerator({ type: 'dyk' })` or `{ type: 'dyck', kk: 8 }` does not compile.
 *
 * A spec built at run time (e.g. read from JSON, with `type: string`) can be passed with a cast
 * (`spec as GeneratorSpec`): `createGenerator` validates every spec at run time anyway.
 */
export type GeneratorSpec = BaseGeneratorSpec | ShuffledSpec | MixtureSpec;

/** Every type name `createGenerator` accepts (the union of {@link GeneratorSpec}'s `type`). */
export type GeneratorType = GeneratorSpec['type'];
