import { ProcptError } from '@procpt/core';
import { additionTask, multiplicationTask, reversedAdditionTask } from './arithmetic.js';
import { haystackTask } from './haystack.js';
import { sortTask } from './sort.js';
import { DIAGNOSTIC_TASK_NAMES, type DiagnosticTask, type DiagnosticTaskName } from './types.js';

export { ARITHMETIC_TOKENS, additionTask, multiplicationTask, reversedAdditionTask } from './arithmetic.js';
export { haystackTask } from './haystack.js';
export { sortTask } from './sort.js';
export { DIAGNOSTIC_TASK_NAMES } from './types.js';
export type { DiagnosticTask, DiagnosticTaskName } from './types.js';

const PAPER_IDS: Record<string, DiagnosticTaskName> = {
  condattendstream: 'haystack',
  forwardaddition: 'addition',
  additionstream: 'reversed-addition',
  multiplication: 'multiplication',
  sort: 'sort',
};

/** True when `name` is one of procpt's diagnostic task names. */
export function isDiagnosticTaskName(name: string): name is DiagnosticTaskName {
  return (DIAGNOSTIC_TASK_NAMES as readonly string[]).includes(name);
}

/**
 * The diagnostic task called `name`, with the paper's parameters unless overridden. Accepts procpt names
 * (`haystack`, `addition`, `reversed-addition`, `multiplication`, `sort`) and the paper's ids
 * (`condattendstream_30`, `forwardaddition_5`, `additionstream_10`, `multiplication_5`, `sort_10_100`).
 */
export function diagnosticTask(name: string): DiagnosticTask {
  const [head = '', ...rest] = name.split('_');
  const nums = rest.map(Number);
  const resolved = isDiagnosticTaskName(head)
    ? head
    : Object.hasOwn(PAPER_IDS, head)
      ? PAPER_IDS[head]
      : undefined;
  if (resolved === undefined || nums.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new ProcptError('usage', `unknown diagnostic task ${JSON.stringify(name)}`, {
      hint: `use one of ${DIAGNOSTIC_TASK_NAMES.join(', ')} (or a paper id such as condattendstream_30)`,
    });
  }
  const maxParams = resolved === 'sort' ? 2 : 1;
  if (nums.length > maxParams) {
    throw new ProcptError('usage', `diagnostic task ${JSON.stringify(name)} has too many parameters`, {
      hint: `${resolved} takes at most ${maxParams} (e.g. ${resolved === 'sort' ? 'sort_10_100' : `${head}_5`})`,
    });
  }
  try {
    switch (resolved) {
      case 'haystack':
        return haystackTask(nums[0]);
      case 'addition':
        return additionTask(nums[0]);
      case 'reversed-addition':
        return reversedAdditionTask(nums[0]);
      case 'multiplication':
        return multiplicationTask(nums[0]);
      case 'sort':
        return sortTask(nums[0], nums[1]);
    }
  } catch (error) {
    throw new ProcptError('usage', `bad parameters in diagnostic task ${JSON.stringify(name)}`, {
      hint: (error as Error).message,
      cause: error,
    });
  }
}
