import type { RandomSource } from '../rng.js';

/** The diagnostic tasks of the study, by procpt name. */
export type DiagnosticTaskName = 'haystack' | 'addition' | 'reversed-addition' | 'multiplication' | 'sort';

/** Every diagnostic task name, in the order the paper's tables use. */
export const DIAGNOSTIC_TASK_NAMES: readonly DiagnosticTaskName[] = [
  'haystack',
  'addition',
  'reversed-addition',
  'multiplication',
  'sort',
];

/**
 * One diagnostic task: how an example is drawn and which positions are scored.
 *
 * Mask convention (procpt's `Sample`): `mask[i] = 1` iff token `i` is a scored target, predicted from
 * position `i - 1`.
 */
export interface DiagnosticTask {
  readonly name: DiagnosticTaskName;
  /** The task id in the paper's code (`condattendstream_30`, `forwardaddition_5`, ...). */
  readonly paperId: string;
  /** Model vocabulary size the paper uses for this task. */
  readonly vocabSize: number;
  /** Every example has exactly this many tokens (padding included). */
  readonly length: number;
  /** Context length (`n_positions`) of the paper's diagnostic model. */
  readonly nPositions: number;
  /** Padding token. */
  readonly padId: number;
  /** The task's parameters (for `describe()` and run summaries). */
  readonly params: Readonly<Record<string, number>>;
  /** How the paper's loss/accuracy mask differs from a plain "score the answer" mask. */
  readonly scoringNote: string;
  /** Draws one example (exactly `length` tokens). */
  generate(rng: RandomSource): Int32Array;
  /** The paper's loss and accuracy mask, quirks included. */
  paperMask(tokens: Int32Array): Uint8Array;
  /** Strict mask: every answer token (and end marker) of the example; exact match is over these. */
  answerMask(tokens: Int32Array): Uint8Array;
  /** A short human rendering of an example, for debugging and the CLI. */
  render(tokens: Int32Array): string;
}
