import { type DiagnosticTaskName, diagnosticTask } from '@procpt/eval';

/** The budget of a diagnostic fine-tuning run. */
export interface FinetuneBudget {
  steps: number;
  batchSize: number;
  evalEvery: number;
  /** Fixed test-set size (the paper: 4,000). */
  testSize: number;
  /** LR warm-up steps of the cosine schedule. */
  warmupSteps: number;
}

/** The paper's run seeds of the diagnostic fine-tunes. */
export const PAPER_SEEDS: readonly number[] = Array.from({ length: 10 }, (_, i) => i);

/** The model size of each diagnostic task, and its batch and evaluation interval in the paper's task files. */
export const PAPER_TASK_SHAPES: Readonly<
  Record<DiagnosticTaskName, { size: string; batch: number; evalEvery: number }>
> = {
  // eval_steps differs: 50 for haystack / reversed addition, 40 for addition / multiplication; sort is
  // not in the code and follows haystack.
  haystack: { size: '2_4_16', batch: 1000, evalEvery: 50 },
  addition: { size: '2_4_16', batch: 1000, evalEvery: 40 },
  'reversed-addition': { size: '2_4_16', batch: 1000, evalEvery: 50 },
  multiplication: { size: '4_8_512', batch: 64, evalEvery: 40 },
  sort: { size: '2_4_16', batch: 1000, evalEvery: 50 },
};

// The paper: max_steps = train_steps · train_size // batch = 250 · 40000 // batch.
const PAPER_EXAMPLES = 250 * 40_000;

/** The paper's fine-tuning budget of `task`: 10M examples at the task's batch, 500 LR warm-up steps, 4,000 test examples. */
export function paperFinetuneBudget(task: string): FinetuneBudget {
  const shape = PAPER_TASK_SHAPES[diagnosticTask(task).name];
  return {
    steps: Math.floor(PAPER_EXAMPLES / shape.batch),
    batchSize: shape.batch,
    evalEvery: shape.evalEvery,
    testSize: 4000,
    warmupSteps: 500,
  };
}
