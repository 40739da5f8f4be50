import { ProcptError } from '@procpt/core';
import * as algebra from './algebra.js';
import * as arithmetic from './arithmetic.js';
import * as comparison from './comparison.js';
import * as measurement from './measurement.js';
import * as numbers from './numbers.js';
import * as polynomials from './polynomials.js';
import * as probability from './probability.js';
import { MathRng } from './rng.js';
import {
  MAX_ANSWER_CHARS,
  MAX_QUESTION_CHARS,
  type MathProblem,
  type ModuleContext,
  Retry,
} from './sampling.js';

/** The five folders of `mathematics_dataset-v1.0`. */
export const DM_MATH_SPLITS = [
  'train-easy',
  'train-medium',
  'train-hard',
  'interpolate',
  'extrapolate',
] as const;
/** One folder of the dataset. */
export type DmMathSplit = (typeof DM_MATH_SPLITS)[number];

type Generate = (ctx: ModuleContext) => MathProblem;

/** A generated module: its file name (without `.txt`) and the difficulty range of each split. */
export interface DmMathModule {
  /** `<category>__<task>`, the original file name without `.txt`. */
  readonly name: string;
  /** The folders this module is written to. */
  readonly splits: readonly DmMathSplit[];
  /** Entropy range of the training data (cut into thirds for easy/medium/hard). */
  readonly train: readonly [number, number];
  /** Entropy of the `interpolate` split. */
  readonly interpolate: number;
  /** Entropy range of the `extrapolate` split (extrapolate-only modules). */
  readonly extrapolate: readonly [number, number];
  /** Extrapolation variant: longer expressions, more items or more samples. */
  readonly stretch: boolean;
  /**
   * The module's problem generator; call {@link dmMathProblem}, which seeds its context.
   * @internal
   */
  readonly generate: Generate;
}

const TRAIN: readonly DmMathSplit[] = ['train-easy', 'train-medium', 'train-hard', 'interpolate'];
const EXTRAPOLATE: readonly DmMathSplit[] = ['extrapolate'];

function train(
  name: string,
  generate: Generate,
  range: readonly [number, number] = [3, 10],
  interpolate = 8,
): DmMathModule {
  return { name, splits: TRAIN, train: range, interpolate, extrapolate: [12, 12], stretch: false, generate };
}

function extrapolate(
  name: string,
  generate: Generate,
  range: readonly [number, number],
  stretch: boolean,
): DmMathModule {
  return {
    name,
    splits: EXTRAPOLATE,
    train: range,
    interpolate: range[0],
    extrapolate: range,
    stretch,
    generate,
  };
}

/**
 * Every module this generator writes, in the original's file names: 36 train/interpolate modules
 * and the 15 extrapolation modules. (The original's `_composed` variants and a few rarer tasks,
 * e.g. `polynomials__simplify_power`, are not generated.)
 */
export const DM_MATH_MODULES: readonly DmMathModule[] = [
  train('algebra__linear_1d', algebra.linear1d),
  train('algebra__linear_2d', algebra.linear2d),
  train('algebra__polynomial_roots', algebra.polynomialRoots),
  train('algebra__sequence_next_term', algebra.sequenceNextTerm),
  train('algebra__sequence_nth_term', algebra.sequenceNthTerm),
  train('arithmetic__add_or_sub', arithmetic.addOrSub, [4, 16], 12),
  train('arithmetic__add_or_sub_in_base', arithmetic.addOrSubInBase),
  train('arithmetic__add_sub_multiple', arithmetic.addSubMultiple),
  train('arithmetic__div', arithmetic.div),
  train('arithmetic__mixed', arithmetic.mixed),
  train('arithmetic__mul', arithmetic.mul),
  train('arithmetic__mul_div_multiple', arithmetic.mulDivMultiple),
  train('arithmetic__nearest_integer_root', arithmetic.nearestIntegerRoot),
  train('arithmetic__simplify_surd', arithmetic.simplifySurd),
  train('calculus__differentiate', polynomials.differentiate),
  train('comparison__closest', comparison.closest),
  train('comparison__kth_biggest', comparison.kthBiggest),
  train('comparison__pair', comparison.pair),
  train('comparison__sort', comparison.sort),
  train('measurement__conversion', measurement.conversion),
  train('measurement__time', measurement.time),
  train('numbers__base_conversion', numbers.baseConversion),
  train('numbers__div_remainder', numbers.divRemainder),
  train('numbers__gcd', numbers.gcdModule),
  train('numbers__is_factor', numbers.isFactor),
  train('numbers__is_prime', numbers.isPrimeModule),
  train('numbers__lcm', numbers.lcmModule),
  train('numbers__list_prime_factors', numbers.listPrimeFactors),
  train('numbers__place_value', numbers.placeValue),
  train('numbers__round_number', numbers.roundNumber),
  train('polynomials__add', polynomials.add),
  train('polynomials__collect', polynomials.collect),
  train('polynomials__evaluate', polynomials.evaluate),
  train('polynomials__expand', polynomials.expand),
  train('probability__swr_p_level_set', probability.swrLevelSet),
  train('probability__swr_p_sequence', probability.swrSequence),
  extrapolate('algebra__polynomial_roots_big', algebra.polynomialRoots, [12, 12], true),
  extrapolate('arithmetic__add_or_sub_big', arithmetic.addOrSub, [16, 20], false),
  extrapolate('arithmetic__add_sub_multiple_longer', arithmetic.addSubMultiple, [10, 12], true),
  extrapolate('arithmetic__div_big', arithmetic.div, [10, 12], false),
  extrapolate('arithmetic__mixed_longer', arithmetic.mixed, [10, 12], true),
  extrapolate('arithmetic__mul_big', arithmetic.mul, [10, 12], false),
  extrapolate('arithmetic__mul_div_multiple_longer', arithmetic.mulDivMultiple, [10, 12], true),
  extrapolate('comparison__closest_more', comparison.closest, [12, 12], true),
  extrapolate('comparison__kth_biggest_more', comparison.kthBiggest, [12, 12], true),
  extrapolate('comparison__sort_more', comparison.sort, [12, 12], true),
  extrapolate('measurement__conversion', measurement.conversion, [12, 12], true),
  extrapolate('numbers__place_value_big', numbers.placeValue, [12, 12], false),
  extrapolate('numbers__round_number_big', numbers.roundNumber, [12, 12], false),
  extrapolate('probability__swr_p_level_set_more_samples', probability.swrLevelSet, [12, 12], true),
  extrapolate('probability__swr_p_sequence_more_samples', probability.swrSequence, [12, 12], true),
];

/** The modules written to one folder. */
export function dmMathModules(split: DmMathSplit): DmMathModule[] {
  return DM_MATH_MODULES.filter((m) => m.splits.includes(split));
}

/** FNV-1a of a module name: its stream id, so adding modules never changes another's data. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function entropyFor(module: DmMathModule, split: DmMathSplit, rng: MathRng): number {
  const [lo, hi] = module.train;
  const third = (hi - lo) / 3;
  switch (split) {
    case 'train-easy':
      return rng.uniform(lo, lo + third);
    case 'train-medium':
      return rng.uniform(lo + third, lo + 2 * third);
    case 'train-hard':
      return rng.uniform(lo + 2 * third, hi);
    case 'interpolate':
      return module.interpolate;
    case 'extrapolate':
      return rng.uniform(module.extrapolate[0], module.extrapolate[1]);
  }
}

const PRINTABLE = /^[\x20-\x7e]+$/;
const MAX_ATTEMPTS = 10_000;

/**
 * Problem `index` of `module` in `split`: a pure function of (seed, split, module, index).
 * Draws that exceed the 160/30 character limits (or are degenerate) are drawn again.
 */
export function dmMathProblem(
  module: DmMathModule,
  split: DmMathSplit,
  seed: number,
  index: number,
): MathProblem {
  if (!module.splits.includes(split)) {
    throw new ProcptError('usage', `DM-Math module ${module.name} has no ${split} split`, {
      hint: `its splits are ${module.splits.join(', ')}`,
    });
  }
  const rng = MathRng.fromSeed(seed, DM_MATH_SPLITS.indexOf(split), nameHash(module.name), index);
  const ctx: ModuleContext = {
    rng,
    entropy: 0,
    split: split === 'interpolate' || split === 'extrapolate' ? 'test' : 'train',
    stretch: module.stretch,
  };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    ctx.entropy = entropyFor(module, split, rng);
    let problem: MathProblem;
    try {
      problem = module.generate(ctx);
    } catch (error) {
      if (error instanceof Retry || error instanceof RangeError) continue;
      throw error;
    }
    if (
      problem.question.length <= MAX_QUESTION_CHARS &&
      problem.answer.length <= MAX_ANSWER_CHARS &&
      PRINTABLE.test(problem.question) &&
      PRINTABLE.test(problem.answer)
    ) {
      return problem;
    }
  }
  throw new ProcptError(
    'runtime',
    `DM-Math module ${module.name} found no problem within the limits after ${MAX_ATTEMPTS} draws`,
  );
}
