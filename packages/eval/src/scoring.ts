import type { DiagnosticTask } from './tasks/types.js';

/** Metrics of a model on a diagnostic test set. */
export interface DiagnosticScore {
  task: string;
  examples: number;
  /** The paper's metric: argmax accuracy over the paper's mask, pooled over all scored positions. */
  accuracy: number;
  /** Positions the paper scores, and how many of them are right. */
  scored: number;
  correct: number;
  /** Mean cross-entropy over the paper's mask (nats), when log-probabilities were supplied. */
  loss: number | null;
  /** Strict: fraction of examples whose every answer token (and end marker) is right. */
  exactMatch: number;
  /** Strict: argmax accuracy over all answer tokens (answer mask). */
  answerTokenAccuracy: number;
}

/**
 * Accumulates diagnostic scores example by example from teacher-forced predictions.
 *
 * `predicted[i]` is the argmax at position `i`, i.e. the model's guess for token `i + 1`; `targetLogProb[i]`
 * (optional) is log p(token `i + 1` | prefix). Both have the example's length (the last entry is unused).
 */
export class DiagnosticScorer {
  private examples = 0;
  private scored = 0;
  private correct = 0;
  private lossSum = 0;
  private lossSeen = true;
  private answerScored = 0;
  private answerCorrect = 0;
  private exact = 0;

  constructor(readonly task: DiagnosticTask) {}

  /** Scores one example. */
  add(tokens: Int32Array, predicted: ArrayLike<number>, targetLogProb?: ArrayLike<number>): void {
    const paper = this.task.paperMask(tokens);
    const answer = this.task.answerMask(tokens);
    let allRight = true;
    for (let i = 1; i < tokens.length; i++) {
      const hit = predicted[i - 1] === tokens[i];
      if (paper[i]) {
        this.scored++;
        if (hit) this.correct++;
        if (targetLogProb) this.lossSum -= targetLogProb[i - 1] as number;
      }
      if (answer[i]) {
        this.answerScored++;
        if (hit) this.answerCorrect++;
        else allRight = false;
      }
    }
    if (!targetLogProb) this.lossSeen = false;
    if (allRight) this.exact++;
    this.examples++;
  }

  /** The metrics so far. */
  result(): DiagnosticScore {
    return {
      task: this.task.name,
      examples: this.examples,
      accuracy: ratio(this.correct, this.scored),
      scored: this.scored,
      correct: this.correct,
      loss: this.lossSeen && this.scored > 0 ? this.lossSum / this.scored : null,
      exactMatch: ratio(this.exact, this.examples),
      answerTokenAccuracy: ratio(this.answerCorrect, this.answerScored),
    };
  }
}

function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
