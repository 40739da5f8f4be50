import { ProcptError, formatValue } from '@procpt/core';
import { z } from 'zod';
import { Mixture, type MixtureLayout, Shuffled } from './composite.js';
import { DYCK_PARAMS, DYCK_SHUFFLE_PARAMS, createBracketLanguage } from './dyck.js';
import { ECA_PARAMS, Eca } from './eca.js';
import { type Generator, STREAM } from './generator.js';
import { MARKOV_PARAMS, Markov } from './markov.js';
import {
  type ParamDef,
  type ParamDefs,
  type ParamValues,
  describeRange,
  parseParams,
  parseSeed,
} from './params.js';
import { Rng } from './rng.js';
import type { BaseGeneratorSpec, GeneratorSpec } from './spec.js';
import { HALVES_PARAMS, SEQUENCE_PARAMS, createSequenceTask } from './sequence.js';
import { STACK_PARAMS, StackTask } from './stack.js';

interface BaseType {
  readonly summary: string;
  readonly params: ParamDefs;
  build(params: ParamValues, seed: number): Generator;
}

const seq = (type: string) => (p: ParamValues, seed: number) => createSequenceTask(type, p, seed);

const BASE_TYPES = {
  identity: { summary: 'x, SEP, x', params: SEQUENCE_PARAMS, build: seq('identity') },
  reverse: { summary: 'x, SEP, reverse(x)', params: SEQUENCE_PARAMS, build: seq('reverse') },
  sort: {
    summary: 'x, SEP, sorted(x) (ascending, duplicates kept)',
    params: SEQUENCE_PARAMS,
    build: seq('sort'),
  },
  set: {
    summary: 'x, SEP, x deduplicated (first occurrences), PAD',
    params: SEQUENCE_PARAMS,
    build: seq('set'),
  },
  union: { summary: 'a, SEP, b, SEP, dedup(a ++ b), PAD', params: HALVES_PARAMS, build: seq('union') },
  delete: {
    summary: 'x, SEP, d, SEP, x without its first d, PAD',
    params: SEQUENCE_PARAMS,
    build: seq('delete'),
  },
  stack: {
    summary: 'push/pop ops (0 = POP), SEP, final stack top first, PAD',
    params: STACK_PARAMS,
    build: (p, seed) => new StackTask(p, seed),
  },
  dyck: {
    summary: 'balanced k-Dyck word (opens 0..k-1, closes k..2k-1)',
    params: DYCK_PARAMS,
    build: (p, seed) => createBracketLanguage('dyck', p, seed),
  },
  'dyck-shuffle': {
    summary: 'k-Dyck shuffle word (crossing allowed, depth <= maxDepth, may end open)',
    params: DYCK_SHUFFLE_PARAMS,
    build: (p, seed) => createBracketLanguage('dyck-shuffle', p, seed),
  },
  ww: { summary: 'w, SEP, w', params: HALVES_PARAMS, build: seq('ww') },
  eca: {
    summary: 'elementary cellular automaton rows (cells 0/1, SEP = 2 after each row)',
    params: ECA_PARAMS,
    build: (p, seed) => new Eca(p, seed),
  },
  markov: {
    summary: 'first-order Markov chain with Dirichlet(alpha) transition rows',
    params: MARKOV_PARAMS,
    build: (p, seed) => new Markov(p, seed),
  },
} satisfies { readonly [T in BaseGeneratorSpec['type']]: BaseType };

// Compile-time check: each spec type of spec.ts names exactly the parameters its type validates at run
// time, so the typed specs cannot drift from the zod definitions.
type SpecOf<T, S = BaseGeneratorSpec> = S extends { type: infer U } ? (T extends U ? S : never) : never;
type SpecParams<T> = Exclude<keyof SpecOf<T>, 'type' | 'seed'>;
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ParamsMatch = {
  [T in keyof typeof BASE_TYPES]: SameKeys<keyof (typeof BASE_TYPES)[T]['params'], SpecParams<T>>;
};
const paramsMatch: false extends ParamsMatch[keyof ParamsMatch] ? never : true = true;
void paramsMatch;

const baseTypes: Readonly<Record<string, BaseType | undefined>> = BASE_TYPES;

/** One parameter in {@link listTypes}. */
export interface ParamInfo {
  name: string;
  kind: 'int' | 'number' | 'spec' | 'string';
  default?: number | string;
  range: string;
  doc: string;
}

/** One type in {@link listTypes}. */
export interface TypeInfo {
  type: string;
  summary: string;
  params: ParamInfo[];
}

const paramInfo = (name: string, def: ParamDef): ParamInfo => ({
  name,
  kind: def.kind,
  default: def.default,
  range: describeRange(def),
  doc: def.doc,
});

/** Every type with its parameters, defaults and ranges (what `procpt gen --list` prints). */
export function listTypes(): TypeInfo[] {
  const base = Object.entries(BASE_TYPES as Readonly<Record<string, BaseType>>).map(([type, t]) => ({
    type,
    summary: t.summary,
    params: Object.entries(t.params).map(([name, def]) => paramInfo(name, def)),
  }));
  return [
    ...base,
    {
      type: 'shuffled',
      summary: "control: another type's samples with their tokens permuted (loss mask moves along)",
      params: [
        {
          name: 'base',
          kind: 'spec',
          range: 'a generator spec',
          doc: 'the type to shuffle, e.g. {"type":"dyck"}',
        },
      ],
    },
    {
      type: 'mixture',
      summary: 'weighted mixture of types, chosen per sample index',
      params: [
        {
          name: 'components',
          kind: 'spec',
          range: 'a non-empty array of specs with a weight > 0',
          doc: 'e.g. [{"type":"set","weight":3},{"type":"union","weight":1}]',
        },
        {
          name: 'layout',
          kind: 'string',
          default: 'shared',
          range: '"shared" or "offset"',
          doc: 'shared ids, or each type offset into its own id range',
        },
      ],
    },
  ];
}

/** Names of every type `createGenerator` accepts. */
export const TYPE_NAMES: readonly string[] = [...Object.keys(BASE_TYPES), 'shuffled', 'mixture'];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const mixtureShape = z.strictObject({
  components: z.array(z.record(z.string(), z.unknown())).min(1).max(1024),
  layout: z.enum(['shared', 'offset']).default('shared'),
});

/** Nesting depth of shuffled/mixture specs (deeper specs would only exhaust the stack). */
const MAX_SPEC_DEPTH = 16;

function createAt(spec: unknown, where: string, inheritedSeed?: number, depth = 0): Generator {
  if (depth > MAX_SPEC_DEPTH) {
    throw new ProcptError(
      'config',
      `spec nests deeper than ${MAX_SPEC_DEPTH} levels (at ${where.slice(0, 80)}...)`,
      {
        hint: 'a shuffled or mixture spec holds plain types, or a few levels of composites',
      },
    );
  }
  if (!isRecord(spec) || typeof spec.type !== 'string') {
    throw new ProcptError(
      'config',
      `${where}type must be one of ${TYPE_NAMES.join(', ')}, got ${formatValue(isRecord(spec) ? spec.type : spec)}`,
    );
  }
  const { type, seed: rawSeed, ...rest } = spec;
  const seed =
    rawSeed === undefined && inheritedSeed !== undefined
      ? inheritedSeed
      : parseSeed(rawSeed, `${where}${type}.`);
  const base = Object.hasOwn(baseTypes, type) ? baseTypes[type] : undefined;
  if (base) return base.build(parseParams(type, base.params, rest, where), seed);
  if (type === 'shuffled') {
    const { base: inner, ...extra } = rest;
    const unknown = Object.keys(extra);
    if (unknown.length > 0) {
      throw new ProcptError('config', `${where}shuffled has no parameter ${JSON.stringify(unknown[0])}`, {
        hint: 'its only parameter is base, the spec of the type to shuffle',
      });
    }
    // The base inherits the seed, so shuffled(T, seed s) permutes exactly T's samples with seed s.
    return new Shuffled(createAt(inner, `${where}shuffled.base.`, seed, depth + 1), seed);
  }
  if (type === 'mixture') {
    const parsed = mixtureShape.safeParse(rest);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.map(String).join('.') ?? '';
      throw new ProcptError(
        'config',
        `${where}mixture${field ? `.${field}` : ''}: ${issue?.message ?? 'invalid'}`,
        {
          hint: 'a mixture takes components: [{ type, weight, ...params }, ...] and layout: "shared" | "offset"',
        },
      );
    }
    const weights: number[] = [];
    const gens = parsed.data.components.map((c, i) => {
      const at = `${where}mixture.components[${i}].`;
      const { weight, ...inner } = c;
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
        throw new ProcptError('config', `${at}weight must be a number > 0, got ${formatValue(weight)}`);
      }
      weights.push(weight);
      // Components without a seed get one derived from (mixture seed, component index).
      return createAt(inner, at, Rng.fromSeed(seed, STREAM.mixtureSeed, i).nextU32(), depth + 1);
    });
    return new Mixture(gens, weights, parsed.data.layout as MixtureLayout, seed);
  }
  throw new ProcptError(
    'config',
    `${where}type must be one of ${TYPE_NAMES.join(', ')}, got ${JSON.stringify(type)}`,
  );
}

/**
 * Builds a generator from `{ type, seed?, ...params }` (a {@link GeneratorSpec}, typed per type), validated
 * with zod at run time too; defaults are the paper's (seed 42). Bad specs throw `ProcptError('config')`
 * naming the field and its range, e.g. `dyck.k must be an integer in [1, 32767], got 0`. Composite types:
 * `{ type: 'shuffled', base: spec }` and
 * `{ type: 'mixture', components: [{ type, weight, ...params }], layout?: 'shared' | 'offset' }`.
 *
 * @example
 * ```ts
 * const dyck = createGenerator({ type: 'dyck', k: 8, length: 64, seed: 1 });
 * dyck.sample(0).tokens; // Int32Array(64)
 * ```
 */
export function createGenerator(spec: GeneratorSpec): Generator {
  return createAt(spec, '');
}
