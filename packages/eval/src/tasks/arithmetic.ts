import type { RandomSource } from '../rng.js';
import type { DiagnosticTask } from './types.js';

/** Token ids shared by the paper's three arithmetic tasks (vocab 31). */
export const ARITHMETIC_TOKENS = {
  /** Operand digits are their own value 0..9. */
  operator: 10,
  equals: 11,
  pad: 12,
  /** Answer digit d is token `answerDigitBase + d` (20..29). */
  answerDigitBase: 20,
  stop: 30,
} as const;

const T = ARITHMETIC_TOKENS;

interface ArithmeticOptions {
  name: 'addition' | 'reversed-addition' | 'multiplication';
  paperId: string;
  digits: number;
  op: '+' | '*';
  reversed: boolean;
  /** Padded length factor: the paper pads to `factor · digits + 4`. */
  lengthFactor: number;
}

// A uniform `o`-digit number as its decimal digits (most significant first): first digit 1..9, rest 0..9.
// Identical in distribution to the paper's randint(10^(o-1), 10^o - 1), without 2^53 range limits.
function drawDigits(rng: RandomSource, digits: number): number[] {
  const out = [1 + rng.int(9)];
  for (let i = 1; i < digits; i++) out.push(rng.int(10));
  return out;
}

function toBigInt(digits: readonly number[]): bigint {
  return BigInt(digits.join(''));
}

function arithmeticTask(o: ArithmeticOptions): DiagnosticTask {
  if (!Number.isInteger(o.digits) || o.digits < 1 || o.digits > 40) {
    throw new RangeError(`${o.name} digits must be an integer in [1, 40], got ${o.digits}`);
  }
  const length = o.lengthFactor * o.digits + 4;
  const opSymbol = o.op;
  return {
    name: o.name,
    paperId: o.paperId,
    vocabSize: 31,
    length,
    nPositions: 40,
    padId: T.pad,
    params: { digits: o.digits },
    scoringNote:
      'the paper scores positions whose INPUT is an answer digit or STOP (input ≥ 20): the first answer digit ' +
      '(predicted at "=") is not scored, STOP and the first PAD after STOP are (unless STOP is the last token); ' +
      'token accuracy, not exact match. exactMatch is the strict per-example metric over all answer digits + STOP',
    generate(rng: RandomSource): Int32Array {
      const a = drawDigits(rng, o.digits);
      const b = drawDigits(rng, o.digits);
      const result = o.op === '+' ? toBigInt(a) + toBigInt(b) : toBigInt(a) * toBigInt(b);
      const r = result.toString().split('').map(Number);
      const order = (d: number[]): number[] => (o.reversed ? [...d].reverse() : d);
      const seq = [
        ...order(a),
        T.operator,
        ...order(b),
        T.equals,
        ...order(r).map((d) => d + T.answerDigitBase),
        T.stop,
      ];
      if (seq.length > length) throw new Error(`${o.name}: example of ${seq.length} tokens > ${length}`);
      const tokens = new Int32Array(length).fill(T.pad);
      tokens.set(seq);
      return tokens;
    },
    paperMask(tokens: Int32Array): Uint8Array {
      const mask = new Uint8Array(tokens.length);
      for (let i = 1; i < tokens.length; i++) if ((tokens[i - 1] ?? 0) >= T.answerDigitBase) mask[i] = 1;
      return mask;
    },
    answerMask(tokens: Int32Array): Uint8Array {
      const mask = new Uint8Array(tokens.length);
      for (let i = 1; i < tokens.length; i++) if ((tokens[i] ?? 0) >= T.answerDigitBase) mask[i] = 1;
      return mask;
    },
    render(tokens: Int32Array): string {
      let s = '';
      for (const t of tokens) {
        if (t === T.stop) return `${s}.`;
        if (t <= 9) s += String(t);
        else if (t === T.operator) s += opSymbol;
        else if (t === T.equals) s += '=';
        else if (t >= T.answerDigitBase && t < T.stop) s += String(t - T.answerDigitBase);
      }
      return s;
    },
  };
}

/**
 * Addition in forward digit order, the paper's `forwardaddition_<digits>` (default 5): `a + b = (a+b)`
 * with answer digits shifted by 20, STOP = 30, padding 12 to `3·digits + 4` tokens.
 */
export function additionTask(digits = 5): DiagnosticTask {
  return arithmeticTask({
    name: 'addition',
    paperId: `forwardaddition_${digits}`,
    digits,
    op: '+',
    reversed: false,
    lengthFactor: 3,
  });
}

/**
 * Addition with operands and sum written least-significant digit first, the paper's
 * `additionstream_<digits>` (default 10; operands have exactly `digits` digits).
 */
export function reversedAdditionTask(digits = 10): DiagnosticTask {
  return arithmeticTask({
    name: 'reversed-addition',
    paperId: `additionstream_${digits}`,
    digits,
    op: '+',
    reversed: true,
    lengthFactor: 3,
  });
}

/**
 * Multiplication, the paper's `multiplication_<digits>` (default 5): `a * b = (a·b)`, operator token 10,
 * padded to `5·digits + 4` tokens.
 */
export function multiplicationTask(digits = 5): DiagnosticTask {
  return arithmeticTask({
    name: 'multiplication',
    paperId: `multiplication_${digits}`,
    digits,
    op: '*',
    reversed: false,
    lengthFactor: 5,
  });
}
