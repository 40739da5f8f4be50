import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LIMITS,
  ProcptError,
  checkBatch,
  checkLimit,
  limitValue,
  parseDecimal,
  parseIntegerText,
  parseNumberText,
  readFileLimited,
  readLinesLimited,
  toProcptError,
} from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-limits-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const def of Object.values(LIMITS)) delete process.env[def.env];
});

/** Runs `f` and returns the ProcptError it throws (fails the test if it returns or throws anything else). */
function thrown(f: () => unknown): ProcptError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ProcptError);
    return error as ProcptError;
  }
  throw new Error('expected a ProcptError');
}

describe('limits', () => {
  it('have documented defaults that an environment variable overrides, and a bad variable is a usage error', () => {
    expect(limitValue('layers')).toBe(1024);
    expect(limitValue('workers')).toBeGreaterThanOrEqual(4);
    process.env.PROCPT_MAX_LAYERS = '4096';
    expect(limitValue('layers')).toBe(4096);
    for (const bad of ['0', '-3', '1.5', '0x10', 'lots']) {
      process.env.PROCPT_MAX_LAYERS = bad;
      const e = thrown(() => limitValue('layers'));
      expect(e.code).toBe('usage');
      expect(e.message).toContain('PROCPT_MAX_LAYERS must be a positive integer');
    }
  });

  it('checkLimit names the value, the limit and the variable that raises it', () => {
    expect(checkLimit('layers', 12, 'nLayer')).toBe(12);
    const e = thrown(() => checkLimit('layers', 1e9, 'config.json n_layer', { code: 'data' }));
    expect(e.code).toBe('data');
    expect(e.message).toBe(
      'config.json n_layer is 1000000000, over the limit of 1024 (transformer blocks of a model (nLayer))',
    );
    expect(e.hint).toContain('set PROCPT_MAX_LAYERS to raise the limit (now 1024)');
  });

  it('readFileLimited refuses a file over the limit, reading at most limit + 1 bytes (also of an endless file)', async () => {
    const path = join(dir, 'big.json');
    await writeFile(path, 'x'.repeat(2000));
    await expect(readFileLimited(path, 'big', { maxBytes: 2000 })).resolves.toHaveLength(2000);
    await expect(readFileLimited(path, 'run config big.json', { maxBytes: 1999 })).rejects.toMatchObject({
      code: 'config',
      message: expect.stringMatching(
        /run config big\.json is larger than 2\.0 KiB, the limit for a file read whole/,
      ),
    });
    // /dev/zero never ends: the read stops at the bound
    await expect(readFileLimited('/dev/zero', '/dev/zero', { maxBytes: 1 << 16 })).rejects.toMatchObject({
      code: 'config',
    });
    await expect(readFileLimited(join(dir, 'missing'), 'missing file')).rejects.toMatchObject({ code: 'io' });
    await expect(readFileLimited(dir, 'a folder')).rejects.toMatchObject({ code: 'io' });
  });

  it('readLinesLimited streams lines and stops at an over-long one with file:line', async () => {
    const path = join(dir, 'lines.txt');
    await writeFile(path, `a\r\nbb\n${'c'.repeat(100)}\nd`);
    const lines: string[] = [];
    await expect(
      (async () => {
        for await (const l of readLinesLimited(path, { maxLineBytes: 50 })) lines.push(l.text);
      })(),
    ).rejects.toMatchObject({ code: 'data', message: `${path}:3: line is longer than 50 bytes` });
    expect(lines).toEqual(['a', 'bb']);
    const all: string[] = [];
    for await (const l of readLinesLimited(path)) all.push(`${l.line}:${l.text.length}`);
    expect(all).toEqual(['1:1', '2:2', '3:100', '4:1']);
  });
});

describe('the command-line number parser', () => {
  it('accepts plain decimal, scientific notation included, and nothing Number() would also read', () => {
    expect(parseIntegerText('12', '--n')).toBe(12);
    expect(parseIntegerText('1e9', '--n')).toBe(1e9);
    expect(parseNumberText('.5', '--p')).toBe(0.5);
    expect(parseNumberText('-2.5e-3', '--p')).toBe(-0.0025);
    for (const raw of [
      '0x10',
      '0o7',
      '0b1',
      '',
      ' ',
      ' 12',
      '12 ',
      'Infinity',
      'NaN',
      '1_000',
      '1e400',
      '--1',
      '1e',
    ]) {
      expect(parseDecimal(raw), raw).toBeUndefined();
      expect(thrown(() => parseIntegerText(raw, '--length')).code).toBe('usage');
    }
    expect(thrown(() => parseIntegerText('1.5', '--n', { min: 0 })).message).toBe(
      '--n must be an integer ≥ 0, got "1.5"',
    );
    expect(thrown(() => parseIntegerText('1e16', '--n')).code).toBe('usage'); // not a safe integer
  });

  it('states the range and, for a limit, how to raise it', () => {
    process.env.PROCPT_MAX_WORKERS = '8';
    const e = thrown(() => parseIntegerText('1e6', '--workers', { min: 1, limit: 'workers' }));
    expect(e.message).toBe('--workers must be an integer in [1, 8], got "1e6"');
    expect(e.hint).toBe('set PROCPT_MAX_WORKERS to raise the limit (now 8)');
    expect(thrown(() => parseIntegerText('0', '--workers', { min: 1, limit: 'workers' })).message).toBe(
      '--workers must be an integer in [1, 8], got "0"',
    );
    expect(
      thrown(() => parseNumberText('1', '--dropout', { min: 0, max: 1, maxExclusive: true })).message,
    ).toBe('--dropout must be a number in [0, 1), got "1"');
  });

  it('fuzz: any string is a safe integer within the bounds or a usage error naming the flag', () => {
    const decimalish = fc.oneof(
      fc.string(),
      fc.integer().map(String),
      fc.double().map(String),
      fc.stringMatching(/^[-+]?[0-9xXoObBeE._ ]{0,12}$/),
    );
    fc.assert(
      fc.property(
        decimalish,
        fc.integer({ min: -5, max: 5 }),
        fc.integer({ min: 5, max: 1e6 }),
        (raw, min, max) => {
          try {
            const v = parseIntegerText(raw, '--flag', { min, max });
            return Number.isSafeInteger(v) && v >= min && v <= max && v === Number(raw);
          } catch (error) {
            return (
              error instanceof ProcptError &&
              error.code === 'usage' &&
              error.message.startsWith('--flag must be')
            );
          }
        },
      ),
      { numRuns: 500, seed: 19 },
    );
  });
});

describe('checkBatch', () => {
  const batch = (tokens: number[], loss: unknown[]) =>
    ({
      tokens: Int32Array.from(tokens),
      loss: loss as unknown as Uint8Array,
      batch: 1,
      length: tokens.length,
    }) as const;
  it('passes 0/1 masks and in-vocabulary tokens, and names the row and position of anything else', () => {
    expect(() =>
      checkBatch(batch([1, 2, 3], Uint8Array.from([0, 1, 1]) as unknown as unknown[]), 4, 'd'),
    ).not.toThrow();
    expect(thrown(() => checkBatch(batch([1, 2, 3], [0, 2, 1]), 4, 'data')).message).toBe(
      'data: loss-mask value 2 at row 0, position 1 is not 0 or 1',
    );
    expect(thrown(() => checkBatch(batch([1, 2, 3], [0, 1, 'x']), 4, 'data')).code).toBe('data');
    expect(thrown(() => checkBatch(batch([1, 9, 3], [0, 1, 1]), 4, 'data')).message).toMatch(
      /token 9 at row 0, position 1 is outside the vocabulary \[0, 4\)/,
    );
    expect(thrown(() => checkBatch(batch([1, 2], [0, 1, 1]), 4, 'data')).message).toMatch(/needs 2 tokens/);
  });
});

describe('toProcptError', () => {
  it('classifies system errors, failed allocations and bugs, keeping ProcptErrors', () => {
    const own = new ProcptError('usage', 'x');
    expect(toProcptError(own)).toBe(own);
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'a'"), {
      code: 'ENOENT',
    });
    expect(toProcptError(enoent)).toMatchObject({ code: 'io', hint: 'check the path' });
    let allocation: unknown;
    try {
      new Float32Array(2 ** 60);
    } catch (error) {
      allocation = error;
    }
    expect(toProcptError(allocation)).toMatchObject({
      code: 'runtime',
      message: expect.stringMatching(/^out of memory: /),
    });
    const bug = toProcptError(new TypeError("Cannot read properties of null (reading 'x')"));
    expect(bug.code).toBe('runtime');
    expect(bug.message).toMatch(/^internal error: /);
    expect(bug.hint).toMatch(/PROCPT_DEBUG=1/);
    expect(toProcptError('a string').exitCode).toBe(1);
  });
});
