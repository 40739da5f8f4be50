import { Rational } from './rational.js';
import type { MathProblem, ModuleContext } from './sampling.js';
import { Retry, decimal, fraction, inSplit } from './sampling.js';

interface Unit {
  plural: string;
  singular: string;
  symbol?: string;
  /** Size in the dimension's base unit. */
  size: Rational;
}

const pow10 = (k: number): Rational =>
  k >= 0 ? Rational.of(10n ** BigInt(k)) : Rational.of(1n, 10n ** BigInt(-k));

/** The unit families the original converts between (each unit's size in the family's base unit). */
export const UNIT_FAMILIES: readonly (readonly Unit[])[] = [
  [
    { plural: 'kilometers', singular: 'kilometer', symbol: 'km', size: pow10(3) },
    { plural: 'meters', singular: 'meter', symbol: 'm', size: pow10(0) },
    { plural: 'centimeters', singular: 'centimeter', symbol: 'cm', size: pow10(-2) },
    { plural: 'millimeters', singular: 'millimeter', symbol: 'mm', size: pow10(-3) },
    { plural: 'micrometers', singular: 'micrometer', symbol: 'um', size: pow10(-6) },
    { plural: 'nanometers', singular: 'nanometer', symbol: 'nm', size: pow10(-9) },
  ],
  [
    { plural: 'tonnes', singular: 'tonne', symbol: 't', size: pow10(6) },
    { plural: 'kilograms', singular: 'kilogram', symbol: 'kg', size: pow10(3) },
    { plural: 'grams', singular: 'gram', symbol: 'g', size: pow10(0) },
    { plural: 'milligrams', singular: 'milligram', symbol: 'mg', size: pow10(-3) },
    { plural: 'micrograms', singular: 'microgram', symbol: 'ug', size: pow10(-6) },
    { plural: 'nanograms', singular: 'nanogram', symbol: 'ng', size: pow10(-9) },
  ],
  [
    { plural: 'litres', singular: 'litre', symbol: 'l', size: pow10(0) },
    { plural: 'millilitres', singular: 'millilitre', symbol: 'ml', size: pow10(-3) },
  ],
  [
    { plural: 'nanoseconds', singular: 'nanosecond', symbol: 'ns', size: pow10(-9) },
    { plural: 'microseconds', singular: 'microsecond', symbol: 'us', size: pow10(-6) },
    { plural: 'milliseconds', singular: 'millisecond', symbol: 'ms', size: pow10(-3) },
    { plural: 'seconds', singular: 'second', symbol: 's', size: pow10(0) },
    { plural: 'minutes', singular: 'minute', size: Rational.of(60) },
    { plural: 'hours', singular: 'hour', size: Rational.of(3600) },
    { plural: 'days', singular: 'day', size: Rational.of(86400) },
    { plural: 'weeks', singular: 'week', size: Rational.of(604800) },
  ],
  [
    { plural: 'months', singular: 'month', size: Rational.of(1) },
    { plural: 'years', singular: 'year', size: Rational.of(12) },
    { plural: 'decades', singular: 'decade', size: Rational.of(120) },
    { plural: 'centuries', singular: 'century', size: Rational.of(1200) },
    { plural: 'millennia', singular: 'millennium', size: Rational.of(12000) },
  ],
];

/** `measurement__conversion`: convert a quantity between units of one family (exact decimals). */
export function conversion(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const family = rng.pick(UNIT_FAMILIES);
  const [from, to] = rng.shuffled(family).slice(0, 2) as [Unit, Unit];
  const ratio = from.size.div(to.size);
  if (rng.chance(0.2) && !ctx.stretch) {
    // "What is 3/4 of a day in minutes?"
    const part = fraction(rng, 1.5, false).abs();
    if (part.cmp(Rational.ONE) >= 0 || !inSplit(part.toString(), ctx.split)) throw new Retry();
    const value = part.mul(ratio);
    if (value.decimalPlaces() === undefined) throw new Retry();
    const question = rng.pick([
      `What is ${part} of a ${from.singular} in ${to.plural}?`,
      `How many ${to.plural} are there in ${part} of a ${from.singular}?`,
    ]);
    return { question, answer: value.toDecimal() };
  }
  const amount = decimal(rng, Math.min(ctx.entropy, 7), false);
  const amountText = amount.toDecimal();
  if (amount.isZero() || !inSplit(amountText, ctx.split)) throw new Retry();
  const value = amount.mul(ratio);
  if (value.decimalPlaces() === undefined) throw new Retry();
  const fromText =
    from.symbol && rng.chance(0.4) ? `${amountText}${from.symbol}` : `${amountText} ${from.plural}`;
  const question = rng.pick([
    `What is ${fromText} in ${to.plural}?`,
    `How many ${to.plural} are there in ${fromText}?`,
    `Convert ${fromText} to ${to.plural}.`,
  ]);
  return { question, answer: value.toDecimal() };
}

/** Minutes after midnight as 12-hour clock text: `3:31 PM`, `12:05 AM`. */
export function clockText(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  const h24 = Math.floor(m / 60);
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  return `${h12}:${String(m % 60).padStart(2, '0')} ${h24 < 12 ? 'AM' : 'PM'}`;
}

/** `measurement__time`: minutes between two clock times, or a time some minutes before/after. */
export function time(ctx: ModuleContext): MathProblem {
  const { rng } = ctx;
  const start = rng.int(1440);
  const duration = rng.range(1, 1439);
  if (!inSplit(String(duration), ctx.split)) throw new Retry();
  const kind = rng.int(3);
  if (kind === 0) {
    return {
      question: `How many minutes are there between ${clockText(start)} and ${clockText(start + duration)}?`,
      answer: String(duration),
    };
  }
  if (kind === 1) {
    return {
      question: `What is ${duration} minutes after ${clockText(start)}?`,
      answer: clockText(start + duration),
    };
  }
  return {
    question: `What is ${duration} minutes before ${clockText(start)}?`,
    answer: clockText(start - duration),
  };
}
