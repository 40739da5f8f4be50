// Issue 19: property-based fuzzing of the command line. fast-check draws argument vectors from a
// grammar of real commands, flags and hostile values (hex, huge, negative, NaN, __proto__, broken
// files); every run must end with exit 0, 1 or 2, and every failure must be the one error format
// (`procpt: …` plus at most a `hint:` line, never a stack) — no crash, no hang. Bounded for CI:
// fixed seeds, few runs, small outputs, a 256 MiB memory limit so no big model is ever built.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ProcptError } from '@procpt/core';
import { createGenerator } from '@procpt/procgen';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSpec } from './commands/procgen-run.js';
import { type CliRun, runProcpt } from './testing.js';

let root: string;
const FILE_KEYS = [
  'ckpt',
  'broken',
  'huge',
  'missing',
  'good',
  'badMask',
  'garbage',
  'gz',
  'emptyGz',
  'spec',
] as const;
let files: Record<(typeof FILE_KEYS)[number], string>;
const saved = { ...process.env };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-fuzz-'));
  process.env.PROCPT_MEMORY_LIMIT_MB = '256';
  process.env.PROCPT_MAX_WORKERS = '4';
  const ckpt = join(root, 'ckpt');
  expect(
    (
      await runProcpt([
        'model',
        'init',
        '--size',
        '1_2_8',
        '--vocab',
        '11',
        '--positions',
        '9',
        '--out',
        ckpt,
      ])
    ).code,
  ).toBe(0);
  const broken = join(root, 'broken');
  await cp(ckpt, broken, { recursive: true });
  await writeFile(join(broken, 'procpt.json'), '{"format":"procpt-checkpoint","version":1,"files":7}');
  const huge = join(root, 'huge');
  await cp(ckpt, huge, { recursive: true });
  const hf = JSON.parse(await readFile(join(huge, 'config.json'), 'utf8'));
  await writeFile(join(huge, 'config.json'), JSON.stringify({ ...hf, n_layer: 1e9, n_embd: 'x' }));
  await rm(join(huge, 'procpt.json'));
  files = {
    ckpt,
    broken,
    huge,
    missing: join(root, 'missing'),
    good: join(root, 'good.jsonl'),
    badMask: join(root, 'mask.jsonl'),
    garbage: join(root, 'garbage.jsonl'),
    gz: join(root, 'c4-train.00000-of-01024.json.gz'),
    emptyGz: join(root, 'c4-train.00001-of-01024.json.gz'),
    spec: join(root, 'spec.json'),
  };
  await writeFile(files.good, '{"tokens":[1,2,3],"loss":[0,1,1]}\n');
  await writeFile(files.badMask, '{"tokens":[1,2,3],"loss":[0,2,"x"]}\n');
  await writeFile(files.garbage, '\u0000{"tokens":null}\n[1,2\n');
  await writeFile(files.gz, gzipSync('{"text":"hello"}\n{"text":7}\n'));
  await writeFile(files.emptyGz, '');
  await writeFile(files.spec, '{"type":"mixture","components":[{"type":"set","weight":1}]}');
});
afterAll(async () => {
  process.env = saved;
  await rm(root, { recursive: true, force: true });
});

/** Hostile values for any flag: numbers in every notation, empty, huge, prototype keys, JSON. */
const anyValue = fc.constantFrom(
  '0',
  '1',
  '2',
  '4',
  '-1',
  '0x10',
  '1.5',
  '1e15',
  '1e309',
  'NaN',
  'Infinity',
  '',
  ' 3',
  '__proto__',
  'constructor',
  '99_99_9999',
  '{"type":"__proto__"}',
  '[]',
);
const path = () => fc.constantFrom(...FILE_KEYS).map((k) => files[k]);
const out = fc.nat(1000).map((i) => join(root, `out-${i}`));
const flag = (name: string, value: fc.Arbitrary<string>) => fc.tuple(fc.constant(name), value);

/** argv of `gen`, sized so that a valid draw writes at most a few KiB. */
const genArgs = fc
  .tuple(
    fc.constantFrom('dyck', 'sort', 'set', 'eca', 'markov', 'mixture', 'nope', '__proto__', '--list'),
    fc.array(
      fc.oneof(
        flag('--k', fc.oneof(anyValue, fc.constantFrom('2', '3'))),
        flag('--length', fc.oneof(anyValue, fc.constantFrom('4', '8', '1e9'))),
        flag('--n', fc.constantFrom('0', '1', '2', '-1', '0x10', '1e15', 'x')),
        flag('--tokens', fc.constantFrom('10', '0', '1e15', '-5', '0x10')),
        flag('--format', fc.constantFrom('jsonl', 'bin', 'csv', '__proto__')),
        flag('--workers', fc.constantFrom('0', '1', '2', '1e6', '-1', 'many')),
        flag('--seed', anyValue),
        flag('--start', anyValue),
        flag(
          '--spec',
          fc.oneof(
            anyValue,
            fc.constant(0).map(() => files.spec),
          ),
        ),
        flag('--__proto__', anyValue),
        flag('--vocab-size', anyValue),
        fc.tuple(fc.constant('--shuffled')),
      ),
      { maxLength: 4 },
    ),
    out,
  )
  .map(([type, flags, o]) => {
    const argv = ['gen', type, ...flags.flat()];
    // a valid jsonl draw with no --n writes 10 samples; bin needs a file
    if (argv.includes('bin')) argv.push('--out', `${o}.bin`);
    if (!argv.includes('--n') && !argv.includes('--tokens')) argv.push('--n', '1');
    return argv;
  });

const modelArgs = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('1_1_4', '1_2_8', '99_99_9999', '0_1_1', '1_3_4', '__proto__', '1e3_1_4', 'x'),
      fc.oneof(anyValue, fc.constantFrom('11', '5000')),
      fc.oneof(anyValue, fc.constantFrom('9', '1e6')),
      fc.oneof(anyValue, fc.constantFrom('0.1', '1')),
      out,
    )
    .map(([size, vocab, positions, dropout, o]) => [
      'model',
      'init',
      '--size',
      size,
      '--vocab',
      vocab,
      '--positions',
      positions,
      '--dropout',
      dropout,
      '--out',
      o,
    ]),
  path().map((p) => ['model', 'info', p]),
  fc
    .tuple(path(), path(), fc.constantFrom('1', '2', '0', '1e15', '0x10'))
    .map(([c, d, batch]) => [
      'eval',
      'loss',
      '--checkpoint',
      c,
      '--data',
      d,
      '--batch',
      batch,
      '--backend',
      'cpu',
    ]),
  fc
    .tuple(path(), fc.oneof(path(), anyValue), fc.constantFrom('everything', 'attn', 'x,__proto__'), out)
    .map(([from, to, parts, o]) => [
      'model',
      'transfer',
      '--from',
      from,
      '--to-config',
      to,
      '--parts',
      parts,
      '--out',
      o,
    ]),
);

const otherArgs = fc.oneof(
  fc
    .tuple(
      path(),
      fc.constantFrom('auto', 'c4', 'text', '__proto__', 'xml'),
      fc.constantFrom('stop', 'skip', 'x'),
      out,
    )
    .map(([input, format, onError, o]) => [
      'tokenize',
      '--tokenizer',
      'char',
      '--in',
      input,
      '--format',
      format,
      '--on-error',
      onError,
      '--out',
      `${o}.bin`,
      '--no-progress',
    ]),
  fc
    .tuple(
      fc.constantFrom('diagnostics', 'semantic', 'nope', '__proto__', 'all'),
      fc.constantFrom('tiny', '__proto__', 'x'),
      fc.constantFrom('124M', '99_99_9999', '__proto__', 'x'),
      fc.constantFrom('0', '1', '1e6'),
    )
    .map(([e, preset, size, jobs]) => [
      'study',
      'run',
      e,
      '--preset',
      preset,
      '--size',
      size,
      '--jobs',
      jobs,
      '--out',
      join(root, 'study'),
      '--dry-run',
    ]),
  fc.constantFrom<string[]>(
    ['--help'],
    ['-V'],
    ['no-such'],
    ['gen'],
    ['model'],
    ['eval', 'protocol', '--task', '__proto__'],
  ),
  fc.array(anyValue, { maxLength: 4 }),
);

function wellFormed(res: CliRun): boolean {
  if (![0, 1, 2].includes(res.code)) return false;
  if (/\n\s+at /.test(res.err)) return false; // a stack trace
  if (res.code === 0) return true;
  const lines = res.err.trimEnd().split('\n');
  return (
    /^procpt: \S/.test(lines[0] ?? '') &&
    !/procpt: (internal error|out of memory)/.test(lines[0] ?? '') &&
    lines.slice(1).every((l) => /^hint: /.test(l)) &&
    lines.length <= 2
  );
}

describe('command-line fuzzing (issue 19)', () => {
  it('fuzz: the gen argument parser gives a spec that builds, or a usage/config error', async () => {
    const rest = genArgs.map((argv) => argv.slice(1).filter((a) => a !== '--n' && a !== '--tokens'));
    await fc.assert(
      fc.asyncProperty(rest, async (args) => {
        try {
          createGenerator(await buildSpec({ format: 'jsonl' }, args));
          return true;
        } catch (error) {
          return error instanceof ProcptError && error.exitCode === 2;
        }
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it('fuzz: procpt gen ends with exit 0/1/2 and one clear error', async () => {
    await fc.assert(
      fc.asyncProperty(genArgs, async (argv) => {
        const res = await runProcpt(argv);
        expect(wellFormed(res), `${argv.join(' ')}\n${res.err}`).toBe(true);
      }),
      { numRuns: 60, seed: 19 },
    );
  });

  it('fuzz: procpt model / eval loss end with exit 0/1/2 and one clear error', async () => {
    await fc.assert(
      fc.asyncProperty(modelArgs, async (argv) => {
        const res = await runProcpt(argv);
        expect(wellFormed(res), `${argv.join(' ')}\n${res.err}`).toBe(true);
      }),
      { numRuns: 40, seed: 19 },
    );
  });

  it('fuzz: procpt tokenize / study run / anything else end with exit 0/1/2 and one clear error', async () => {
    await fc.assert(
      fc.asyncProperty(otherArgs, async (argv) => {
        const res = await runProcpt(argv);
        expect(wellFormed(res), `${argv.join(' ')}\n${res.err}`).toBe(true);
      }),
      { numRuns: 40, seed: 19 },
    );
  });
});
