// Issue 19: the run-config parser is total. Fuzzed with fast-check (fixed seed, few runs): any
// value, any mutation of a valid config, any `--set`, any config file gives a RunConfig or a
// ProcptError with the exit code of its category — never a TypeError or a polluted prototype.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applySets, mergeConfig, parseRunConfig, readConfigFile } from './config.js';
import { resolveRunConfig } from './recipes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-config-fuzz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.PROCPT_MAX_WORKERS;
});

const minimal = {
  name: 'tiny',
  steps: 10,
  model: { size: '1_2_16' },
  data: { train: { kind: 'procgen', type: 'dyck', params: { k: 2 } }, batchSize: 4, length: 16 },
  optimizer: { lr: 1e-3 },
};

/** Paths into `minimal` (and a few it does not have) where a mutation lands. */
const paths = [
  ['name'],
  ['steps'],
  ['seed'],
  ['threads'],
  ['model'],
  ['model', 'size'],
  ['model', 'vocabSize'],
  ['model', 'init'],
  ['data', 'train'],
  ['data', 'train', 'params'],
  ['data', 'batchSize'],
  ['data', 'length'],
  ['optimizer', 'lr'],
  ['schedule', 'kind'],
  ['guards', 'memoryLimitMB'],
  ['__proto__'],
  ['constructor'],
];

function setPath(base: unknown, path: readonly string[], value: unknown): unknown {
  const patch = path.reduceRight<unknown>(
    (acc, k) => JSON.parse(`{${JSON.stringify(k)}: ${JSON.stringify(acc) ?? 'null'}}`),
    value,
  );
  return mergeConfig(base, patch);
}

/** The property every input must satisfy: a config, or a ProcptError of the expected categories. */
function parsesOrFailsCleanly(raw: unknown): boolean {
  try {
    const c = parseRunConfig(raw, 'fuzz.yaml');
    return typeof c.name === 'string' && Number.isSafeInteger(c.steps) && !Object.hasOwn(c, '__proto__');
  } catch (error) {
    return error instanceof ProcptError && error.code === 'config' && error.message.startsWith('fuzz.yaml');
  }
}

describe('run-config parser (fuzzing)', () => {
  it('fuzz: any JSON value parses or is a config error naming the file', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), parsesOrFailsCleanly), { numRuns: 300, seed: 19 });
  });

  it('fuzz: any mutation of a valid config parses or is a config error naming the file', () => {
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(0, -1, 1e15, 2 ** 53, 1e308, '99_99_9999', '0x10', null, 'NaN'),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...paths), value), { minLength: 1, maxLength: 3 }),
        (edits) => {
          let raw: unknown = minimal;
          for (const [path, v] of edits) raw = setPath(raw, path, v);
          return parsesOrFailsCleanly(raw);
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });

  it('fuzz: any --set strings apply or are usage errors, and a __proto__ key never becomes a prototype', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'steps',
        'optimizer.lr',
        'model.size',
        '__proto__',
        'a.__proto__.b',
        'constructor',
        'data.train',
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(key, fc.string({ maxLength: 16 })), { maxLength: 3 }), (sets) => {
        try {
          const raw = applySets(
            minimal,
            sets.map(([k, v]) => `${k}=${v}`),
          );
          return Object.getPrototypeOf(raw) === Object.prototype && parsesOrFailsCleanly(raw);
        } catch (error) {
          return error instanceof ProcptError && error.code === 'usage';
        }
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it('fuzz: any config file (YAML or JSON bytes) reads as a value or fails with a config error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? ''),
        ),
        fc.constantFrom('.yaml', '.json', '.yml', '.txt'),
        async (text, ext) => {
          const path = join(dir, `c${ext}`);
          await writeFile(path, text);
          try {
            const raw = await readConfigFile(path);
            return parsesOrFailsCleanly(raw);
          } catch (error) {
            return error instanceof ProcptError && error.code === 'config';
          }
        },
      ),
      { numRuns: 100, seed: 19 },
    );
  });

  it('a "__proto__" field from JSON stays a rejected field, never the prototype of the config', () => {
    const raw = JSON.parse('{"name":"a","__proto__":{"steps":5},"model":{"size":"1_2_16"}}');
    expect(() => resolveRunConfig(mergeConfig(minimal, raw), { where: 'x.json' })).toThrow(/__proto__/);
    expect(() => resolveRunConfig({ ...minimal, preset: { toString: 1 } }, { where: 'x.json' })).toThrow(
      /the field "preset" is now called "recipe"/,
    );
  });

  it('threads over the workers limit is a config error saying how to raise it', () => {
    process.env.PROCPT_MAX_WORKERS = '8';
    expect(() => parseRunConfig({ ...minimal, threads: 1e6 }, 'run.yaml')).toThrow(
      /run\.yaml: threads is 1000000, over the limit of 8/,
    );
    expect(parseRunConfig({ ...minimal, threads: 8 }).threads).toBe(8);
  });
});
