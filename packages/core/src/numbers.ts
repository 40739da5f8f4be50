import { ProcptError } from './errors.js';
import { type LimitName, limitValue, raiseHint } from './limits.js';

/**
 * A plain decimal number: optional sign, digits with an optional fraction, an optional exponent
 * (`12`, `-3`, `0.5`, `.5`, `1e9`, `2.5E-3`). Not accepted: `0x10`, `0o7`, `0b1`, `Infinity`,
 * `NaN`, an empty or blank string, inner spaces, `1_000` — all of which `Number()` would read.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a plain decimal string denotes, or `undefined` when it is not one (see the grammar above). */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Bounds of {@link parseIntegerText} and {@link parseNumberText}. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive; default: no bound below for numbers, the safe minimum for integers). */
  min?: number;
  /** Largest allowed value (inclusive). */
  max?: number;
  /** A limit of `LIMITS` that sets `max`; the error then says how to raise it. */
  limit?: LimitName;
  /** `min` itself is not allowed. */
  minExclusive?: boolean;
  /** `max` itself is not allowed. */
  maxExclusive?: boolean;
}

function range(kind: string, min: number | undefined, max: number | undefined, b: NumberBounds): string {
  if (min === undefined && max === undefined) return kind;
  if (max === undefined) return `${kind} ${b.minExclusive ? '>' : '≥'} ${min}`;
  if (min === undefined) return `${kind} ${b.maxExclusive ? '<' : '≤'} ${max}`;
  return `${kind} in ${b.minExclusive ? '(' : '['}${min}, ${max}${b.maxExclusive ? ')' : ']'}`;
}

function effectiveMax(b: NumberBounds): { max: number | undefined; fromLimit: boolean } {
  const limitMax = b.limit === undefined ? undefined : limitValue(b.limit);
  if (limitMax === undefined) return { max: b.max, fromLimit: false };
  if (b.max !== undefined && b.max <= limitMax) return { max: b.max, fromLimit: false };
  return { max: limitMax, fromLimit: true };
}

function parse(raw: string, what: string, kind: 'an integer' | 'a number', b: NumberBounds): number {
  const { max, fromLimit } = effectiveMax(b);
  const shown = range(kind, b.min, max, b);
  const value = parseDecimal(raw.trim() === raw ? raw : '');
  if (value === undefined || (kind === 'an integer' && !Number.isSafeInteger(value))) {
    throw new ProcptError('usage', `${what} must be ${shown}, got ${JSON.stringify(raw)}`, {
      hint:
        kind === 'an integer'
          ? 'write it in decimal, e.g. 1000 or 1e3'
          : 'write it in decimal, e.g. 0.1 or 1e-3',
    });
  }
  const min = b.min;
  const tooLow = min !== undefined && (b.minExclusive ? value <= min : value < min);
  const tooHigh = max !== undefined && (b.maxExclusive ? value >= max : value > max);
  if (tooLow || tooHigh) {
    throw new ProcptError('usage', `${what} must be ${shown}, got ${JSON.stringify(raw)}`, {
      ...(tooHigh && fromLimit && b.limit !== undefined ? { hint: raiseHint(b.limit) } : {}),
    });
  }
  return value;
}

/**
 * Parses a command-line integer: plain decimal (scientific notation allowed, `1e9`), a safe
 * integer, within the bounds. Anything else is a `usage` {@link ProcptError} naming `what` (the
 * flag) and the allowed range, e.g. `--workers must be an integer in [1, 32], got "0"`.
 */
export function parseIntegerText(raw: string, what: string, bounds: NumberBounds = {}): number {
  return parse(raw, what, 'an integer', bounds);
}

/**
 * Parses a command-line number: plain decimal, finite, within the bounds; otherwise a `usage`
 * {@link ProcptError} naming `what` and the allowed range.
 */
export function parseNumberText(raw: string, what: string, bounds: NumberBounds = {}): number {
  return parse(raw, what, 'a number', bounds);
}
