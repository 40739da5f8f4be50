import { ProcptError, formatValue } from '@procpt/core';
import { z } from 'zod';

/** An integer parameter of a procedural type. */
export interface IntParam {
  readonly kind: 'int';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** Must be even (e.g. the length of a balanced Dyck word). */
  readonly even?: boolean;
  readonly doc: string;
}

/** A real-valued parameter of a procedural type. */
export interface NumberParam {
  readonly kind: 'number';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** `min` itself is not allowed (e.g. a Dirichlet concentration must be > 0). */
  readonly minExclusive?: boolean;
  readonly doc: string;
}

/** One parameter's definition: kind, default, allowed range and meaning. */
export type ParamDef = IntParam | NumberParam;

/** The parameters of a procedural type, by (camelCase) name. */
export type ParamDefs = Readonly<Record<string, ParamDef>>;

/** Validated parameter values, defaults filled in. */
export type ParamValues = Readonly<Record<string, number>>;

/** The allowed range of a parameter in words, e.g. `an even integer in [2, 1048576]`. */
export function describeRange(def: ParamDef): string {
  if (def.kind === 'int') return `${def.even ? 'an even integer' : 'an integer'} in [${def.min}, ${def.max}]`;
  return `a number in ${def.minExclusive ? '(' : '['}${def.min}, ${def.max}]`;
}

function paramSchema(def: ParamDef) {
  const message = (iss: { input?: unknown }) =>
    `must be ${describeRange(def)}, got ${formatValue(iss.input)}`;
  const opts = { error: message };
  let num = z.number(opts);
  if (def.kind === 'int') num = num.int(opts);
  num = def.kind === 'number' && def.minExclusive ? num.gt(def.min, opts) : num.min(def.min, opts);
  num = num.max(def.max, opts);
  const checked = def.kind === 'int' && def.even ? num.refine((v) => v % 2 === 0, { error: message }) : num;
  return checked.default(def.default);
}

const schemaCache = new WeakMap<ParamDefs, z.ZodType<Record<string, number>>>();

function schemaFor(defs: ParamDefs): z.ZodType<Record<string, number>> {
  let schema = schemaCache.get(defs);
  if (!schema) {
    const shape: Record<string, ReturnType<typeof paramSchema>> = {};
    for (const [name, def] of Object.entries(defs)) shape[name] = paramSchema(def);
    schema = z.strictObject(shape) as unknown as z.ZodType<Record<string, number>>;
    schemaCache.set(defs, schema);
  }
  return schema;
}

/**
 * Validates `raw` against `defs` with zod and fills in defaults. Errors are `ProcptError('config')`
 * naming the field and its range, e.g. `dyck.k must be an integer in [1, 32767], got 0`; `where` is
 * prefixed for nested specs (`mixture.components[1].`).
 */
export function parseParams(
  type: string,
  defs: ParamDefs,
  raw: Record<string, unknown>,
  where = '',
): ParamValues {
  const result = schemaFor(defs).safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const known = Object.keys(defs);
    throw new ProcptError(
      'config',
      `${where}${type} has no parameter ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      { hint: known.length ? `its parameters are ${known.join(', ')}` : `${type} takes no parameters` },
    );
  }
  const field = issue?.path.map(String).join('.') ?? '';
  throw new ProcptError('config', `${where}${type}.${field} ${issue?.message ?? 'is invalid'}`);
}

/** Validates a sample seed: a non-negative safe integer; defaults to 42 (the paper's seed). */
export function parseSeed(raw: unknown, where: string): number {
  if (raw === undefined) return 42;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new ProcptError(
      'config',
      `${where}seed must be an integer in [0, ${Number.MAX_SAFE_INTEGER}], got ${formatValue(raw)}`,
    );
  }
  return raw;
}
