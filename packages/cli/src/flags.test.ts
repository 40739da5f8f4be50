// Flags are declared and parsed one way across commands: numbers with @procpt/core's parser when the
// command line is parsed, `--no-progress` wherever a progress bar is drawn, booleans as value-less flags,
// and the names in help texts are the lists their packages own.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import { DM_MATH_SPLITS } from '@procpt/corpora';
import { STUDY_PRESET_NAMES as PAPER_PRESETS } from '@procpt/paper';
import { EXPERIMENTS } from '@procpt/study';
import { SHARD_MAX_TOKENS } from '@procpt/tokenizer';
import { BACKEND_ORDER, parseBackendPreference } from '@procpt/trainer-gpu';
import type { Command, Option } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_FORMATS, tokenizeInputFormats } from './commands/tokenize-run.js';
import {
  BACKEND_NAMES,
  DM_MATH_SPLIT_NAMES,
  EXPERIMENT_NAMES,
  SHARD_TOKEN_LIMIT,
  STUDY_PRESET_NAMES,
  TOKENIZE_FORMAT_NAMES,
  parseBackend,
} from './flags.js';
import { createProgram } from './program.js';
import { runProcpt } from './testing.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'procpt-cli-flags-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Every command of `procpt` with its path (`study run`), depth first. */
function commands(): { path: string; cmd: Command }[] {
  const all: { path: string; cmd: Command }[] = [];
  const walk = (cmd: Command, path: string) => {
    for (const sub of cmd.commands) {
      const p = path ? `${path} ${sub.name()}` : sub.name();
      all.push({ path: p, cmd: sub });
      walk(sub, p);
    }
  };
  walk(createProgram(), '');
  return all;
}

/** The options of every command, with the command's path. */
function options(): { path: string; option: Option }[] {
  return commands().flatMap(({ path, cmd }) => cmd.options.map((option) => ({ path, option })));
}

/** Placeholders of the flags that take a number (`--n <count>`, `--dropout <p>`, …). */
const NUMBER_PLACEHOLDER = /<(n|count|samples|seed|index|rows|p|x|MB|seconds)>$/;

describe('help texts name what the packages own', () => {
  it('the copies of the lists in flags.ts equal their owners', () => {
    expect(BACKEND_NAMES).toEqual(BACKEND_ORDER);
    expect(STUDY_PRESET_NAMES).toEqual(PAPER_PRESETS);
    expect(EXPERIMENT_NAMES).toEqual(EXPERIMENTS);
    expect(DM_MATH_SPLIT_NAMES).toEqual(DM_MATH_SPLITS);
    expect(SHARD_TOKEN_LIMIT).toBe(SHARD_MAX_TOKENS);
    expect([...TOKENIZE_FORMAT_NAMES].sort()).toEqual(
      [...CORPUS_FORMATS, ...Object.keys(tokenizeInputFormats)].sort(),
    );
  });

  it('--backend is parsed like trainer-gpu parses backend names, with the same error', () => {
    for (const raw of ['auto', ...BACKEND_ORDER, 'tpu', '', 'CPU', '__proto__']) {
      const ours = (() => {
        try {
          return parseBackend(raw);
        } catch (error) {
          return (error as Error).message;
        }
      })();
      const theirs = (() => {
        try {
          return parseBackendPreference(raw, '--backend');
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(ours).toBe(theirs);
    }
  });
});

describe('numbers', () => {
  it('every number flag of every command is parsed by @procpt/core when the command line is read', () => {
    const numeric = options().filter(({ option }) => NUMBER_PLACEHOLDER.test(option.flags));
    expect(numeric.length).toBeGreaterThan(25);
    for (const { path, option } of numeric) {
      const where = `${path} ${option.long}`;
      expect(option.parseArg, `${where} has no parser`).toBeTypeOf('function');
      const parse = (raw: string) => (option.parseArg as (v: string, p: unknown) => unknown)(raw, undefined);
      // plain decimal only: 0x10, NaN and blanks are refused naming the flag, with exit 2
      for (const bad of ['0x10', 'NaN', ' ', 'lots']) {
        let error: unknown;
        try {
          parse(bad);
        } catch (e) {
          error = e;
        }
        expect(error, `${where} accepted ${JSON.stringify(bad)}`).toBeInstanceOf(ProcptError);
        expect((error as ProcptError).exitCode).toBe(2);
        expect((error as ProcptError).message.startsWith(option.long as string)).toBe(true);
      }
    }
  });

  it('gen parses its numbers like every other command (same parser, same message)', async () => {
    const gen = await runProcpt(['gen', 'dyck', '--n', '0x10']);
    const bench = await runProcpt(['bench', 'train', '--steps', '0x10']);
    expect(gen.code).toBe(2);
    expect(bench.code).toBe(2);
    expect(gen.err).toMatch(/^procpt: --n must be an integer ≥ 0, got "0x10"\n/);
    expect(bench.err).toMatch(/^procpt: --steps must be an integer ≥ 1, got "0x10"\n/);
    // scientific notation is a number everywhere
    const ok = await runProcpt(['gen', 'dyck', '--length', '4', '--n', '2e0', '--seed', '1e1']);
    expect(ok.code).toBe(0);
    expect(ok.out.trim().split('\n')).toHaveLength(2);
  });
});

describe('--no-progress', () => {
  const drawing = [
    'gen',
    'train',
    'tokenize',
    'corpora dm-math',
    'corpora prepare',
    'eval diag',
    'study run',
  ];

  it('is declared the same way by every command that draws a progress bar', () => {
    const byPath = new Map(commands().map((c) => [c.path, c.cmd]));
    for (const path of drawing) {
      const option = byPath.get(path)?.options.find((o) => o.long === '--no-progress');
      expect(option, `${path} has no --no-progress`).toBeDefined();
      expect(option?.description).toBe('no progress bar on stderr');
      expect(option?.negate).toBe(true);
    }
  });

  it('gen accepts it (jsonl and bin) instead of asking for its value', async () => {
    const jsonl = await runProcpt(['gen', 'dyck', '--length', '4', '--n', '1', '--no-progress']);
    expect(jsonl.err).toBe('');
    expect(jsonl.code).toBe(0);
    const out = join(dir, 'g.bin');
    const bin = await runProcpt([
      'gen',
      'dyck',
      '--format',
      'bin',
      '--n',
      '2',
      '--no-progress',
      '--out',
      out,
    ]);
    expect(bin.err).toBe('');
    expect(bin.code).toBe(0);
  });
});

describe('booleans', () => {
  it('are value-less flags everywhere (--x, or --no-x for a default-on feature)', () => {
    for (const { path, option } of options()) {
      if (option.required || option.optional) continue; // takes a value
      expect(option.parseArg, `${path} ${option.long}`).toBeUndefined();
      expect(option.long, `${path} ${option.long}`).toMatch(/^--[a-z][a-z-]*$/);
    }
  });

  it("are read where they stand, also between gen's type parameters", async () => {
    const res = await runProcpt([
      'gen',
      'set',
      '--shuffled',
      '--vocab-size',
      '10',
      '--no-progress',
      '--length',
      '4',
      '--force',
      '--n',
      '1',
    ]);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).tokens).toHaveLength(9);
  });
});
