// The flags every command shares, declared one way, and the names their help text lists.
//
// Command registration (names, descriptions, options) runs on every `procpt` invocation, `--help`
// included, so it may import only this file, `context.ts`, commander and `@procpt/core`. The names
// below are copies of lists owned by heavier packages (trainer-gpu, paper, study, corpora,
// tokenizer); `flags.test.ts` fails when a copy drifts from its owner.
import { ProcptError } from '@procpt/core';
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** The tfjs backends `--backend` accepts besides `auto` (trainer-gpu's `BACKEND_ORDER`). */
export const BACKEND_NAMES = [
  'tensorflow-gpu',
  'webgpu',
  'tensorflow',
  'procpt-native',
  'wasm',
  'cpu',
] as const;

/** Study presets (`@procpt/paper`'s `STUDY_PRESET_NAMES`). */
export const STUDY_PRESET_NAMES = ['tiny', 'quick', 'paper'] as const;

/** The study's experiments (`@procpt/study`'s `EXPERIMENTS`). */
export const EXPERIMENT_NAMES = [
  'diagnostics',
  'transfer-parts',
  'assembly',
  'mixtures',
  'semantic',
] as const;

/** DeepMind-Math folders (`@procpt/corpora`'s `DM_MATH_SPLITS`). */
export const DM_MATH_SPLIT_NAMES = [
  'train-easy',
  'train-medium',
  'train-hard',
  'interpolate',
  'extrapolate',
] as const;

/** `procpt tokenize --format` names besides `auto` (`tokenize-run.ts`'s corpus and input formats). */
export const TOKENIZE_FORMAT_NAMES = ['c4', 'codeparrot', 'dm-math', 'text'] as const;

/** Tokens one `.bin` shard holds at most (`@procpt/tokenizer`'s `SHARD_MAX_TOKENS`: its header stores an int32). */
export const SHARD_TOKEN_LIMIT = 2 ** 31 - 1;

/** Help text of every command's `--backend` flag. */
export const BACKEND_HELP = `tfjs backend: auto | ${BACKEND_NAMES.join(' | ')}`;

/** A `--backend` value: `auto` or a backend name. */
export type BackendFlag = 'auto' | (typeof BACKEND_NAMES)[number];

/**
 * The `--backend` flag's parser for every command (one set of names, one error; the same as
 * trainer-gpu's `parseBackendPreference`).
 */
export function parseBackend(raw: string): BackendFlag {
  const all: readonly string[] = ['auto', ...BACKEND_NAMES];
  if (!all.includes(raw)) {
    throw new ProcptError('usage', `--backend must be one of ${all.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as BackendFlag;
}

/**
 * Declares `--no-progress` (every command that draws a progress bar takes it). Read it with
 * {@link showProgress}.
 */
export function progressOption(cmd: Command): Command {
  return cmd.option('--no-progress', 'no progress bar on stderr');
}

/** Whether a command draws its progress bar: not with `--no-progress`, and not with `--json`. */
export function showProgress(ctx: CliContext, flags: { progress?: boolean }): boolean {
  return flags.progress !== false && !ctx.json;
}
