import { ProcptError } from '@procpt/core';
import { type ForwardModel, teacherForced } from './diagnostic-eval.js';

/** One formatted DM-Math problem: `<BOS> question <SEP> answer`, `loss[i] = 1` on the answer characters. */
export interface MathProblem {
  module: string;
  tokens: Int32Array;
  loss: Uint8Array;
}

/** Problem-level accuracy for one group of problems. */
export interface ProblemAccuracy {
  problems: number;
  /** The paper's problem accuracy (its quirk: the last character of a multi-character answer is not checked). */
  problemAccuracy: number;
  /** Strict: every answer character right. */
  exactMatch: number;
}

/** DM-Math teacher-forced metrics, overall and per module. */
export interface MathAccuracy extends ProblemAccuracy {
  /** Argmax accuracy over answer characters. */
  tokenAccuracy: number;
  /** Mean cross-entropy over answer characters and its exponential. */
  loss: number;
  perplexity: number;
  byModule: Record<string, ProblemAccuracy>;
  /** Packed rows evaluated. */
  rows: number;
}

/** Options of {@link mathAccuracy}. */
export interface MathAccuracyOptions {
  /** Packed row length (the paper: 512). */
  length: number;
  /** Padding token id (the character tokenizer's PAD). */
  padId: number;
  /** Rows per forward pass (default 16, the paper's eval batch). */
  batch?: number;
}

/** A problem placed in a packed row at `offset`. */
export interface PlacedProblem {
  problem: MathProblem;
  row: number;
  offset: number;
}

/**
 * Packs problems greedily into rows of `length` tokens like the paper's `MathDataset`: a problem that does
 * not fit starts a new row; rows are PAD-padded. A problem longer than a row is a data error.
 */
export function packProblems(problems: readonly MathProblem[], length: number): PlacedProblem[][] {
  const rows: PlacedProblem[][] = [];
  let current: PlacedProblem[] = [];
  let used = 0;
  for (const problem of problems) {
    const n = problem.tokens.length;
    if (n > length) {
      throw new ProcptError(
        'data',
        `a ${problem.module} problem has ${n} tokens, more than the row length ${length}`,
        {
          hint: 'raise the row length or drop over-long problems',
        },
      );
    }
    if (used + n > length) {
      rows.push(current);
      current = [];
      used = 0;
    }
    current.push({ problem, row: rows.length, offset: used });
    used += n;
  }
  if (current.length > 0) rows.push(current);
  return rows;
}

class Tally {
  problems = 0;
  paper = 0;
  strict = 0;
  result(): ProblemAccuracy {
    const r = (x: number) => (this.problems === 0 ? Number.NaN : x / this.problems);
    return { problems: this.problems, problemAccuracy: r(this.paper), exactMatch: r(this.strict) };
  }
}

/**
 * DM-Math problem accuracy under teacher forcing (not generation), as the paper measures it, plus the strict
 * exact match, token accuracy, answer loss, and the same per module.
 */
export async function mathAccuracy(
  model: ForwardModel,
  problems: readonly MathProblem[],
  options: MathAccuracyOptions,
): Promise<MathAccuracy> {
  const { length, padId } = options;
  const batch = options.batch ?? 16;
  if (length > model.config.nPositions) {
    throw new ProcptError(
      'usage',
      `row length ${length} exceeds the model context ${model.config.nPositions}`,
    );
  }
  const rows = packProblems(problems, length);
  const total = new Tally();
  const modules = new Map<string, Tally>();
  let scored = 0;
  let hits = 0;
  let lossSum = 0;
  for (let start = 0; start < rows.length; start += batch) {
    const chunk = rows.slice(start, start + batch);
    const ids = new Int32Array(chunk.length * length).fill(padId);
    chunk.forEach((row, r) => {
      for (const p of row) ids.set(p.problem.tokens, r * length + p.offset);
    });
    const [pred, logp] = await teacherForced(model, ids, chunk.length, length);
    chunk.forEach((row, r) => {
      for (const p of row) {
        const base = r * length + p.offset;
        const answer: boolean[] = [];
        p.problem.loss.forEach((m, i) => {
          if (!m || i === 0) return;
          const at = base + i - 1; // position predicting token i
          const ok = pred[at] === p.problem.tokens[i];
          answer.push(ok);
          scored++;
          if (ok) hits++;
          lossSum -= logp[at] as number;
        });
        if (answer.length === 0) continue;
        const strict = answer.every(Boolean);
        // Paper quirk: it checks the answer span [start, end) with `end` the last answer position.
        const paper = answer.length === 1 ? strict : answer.slice(0, -1).every(Boolean);
        const tally = modules.get(p.problem.module) ?? new Tally();
        modules.set(p.problem.module, tally);
        for (const t of [total, tally]) {
          t.problems++;
          if (paper) t.paper++;
          if (strict) t.strict++;
        }
      }
    });
  }
  const loss = lossSum / scored;
  return {
    ...total.result(),
    tokenAccuracy: hits / scored,
    loss,
    perplexity: Math.exp(loss),
    byModule: Object.fromEntries(
      [...modules].sort(([a], [b]) => a.localeCompare(b)).map(([k, t]) => [k, t.result()]),
    ),
    rows: rows.length,
  };
}
