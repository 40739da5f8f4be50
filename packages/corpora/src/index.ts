export { MathRng } from './dm-math/rng.js';
export { Rational } from './dm-math/rational.js';
export type { MathProblem } from './dm-math/sampling.js';
export { MAX_QUESTION_CHARS, MAX_ANSWER_CHARS } from './dm-math/sampling.js';
export { DM_MATH_SPLITS, DM_MATH_MODULES, dmMathModules, dmMathProblem } from './dm-math/modules.js';
export type { DmMathSplit, DmMathModule } from './dm-math/modules.js';
export { writeDmMath, DM_MATH_ROOT } from './dm-math/write.js';
export type { WriteDmMathOptions, WriteDmMathResult } from './dm-math/write.js';
