import { ProcptError, formatValue } from '@procpt/core';
import { type RunConfig, type RunConfigInput, mergeConfig, parseRunConfig } from './config.js';

/** Named run configs a raw config can start from with `recipe: NAME` (e.g. `@procpt/paper`'s `RUN_RECIPES`). */
export type RunRecipes = Readonly<Record<string, RunConfigInput>>;

/** Options of {@link resolveRunConfig}. */
export interface ResolveOptions {
  /** The recipes `recipe:` may name (none: a config naming a recipe is an error). */
  recipes?: RunRecipes;
  /** Where the config came from, for error messages (a file name). */
  where?: string;
}

/**
 * Resolves a raw config: layers it over its `recipe` (if any), then validates. A recipe alone
 * (`{ recipe: 'procedural/sort' }`) is a complete config except where the recipe needs a path.
 */
export function resolveRunConfig(raw: unknown, options: ResolveOptions = {}): RunConfig {
  const where = options.where ?? 'config';
  const fields = raw as { recipe?: unknown; preset?: unknown } | null;
  if (fields?.preset !== undefined) {
    throw new ProcptError('config', `${where}: the field "preset" is now called "recipe"`, {
      hint: `rename it: recipe: ${formatValue(fields.preset)}`,
    });
  }
  const name = fields?.recipe;
  if (name === undefined) return parseRunConfig(raw, where);
  const recipes = options.recipes ?? {};
  if (typeof name !== 'string' || !Object.hasOwn(recipes, name)) {
    const names = Object.keys(recipes);
    throw new ProcptError(
      'config',
      `${where}: invalid field recipe: unknown recipe ${JSON.stringify(name)}`,
      {
        hint: names.length > 0 ? `use one of ${names.join(', ')}` : 'no recipes were given to resolve it',
      },
    );
  }
  return parseRunConfig(mergeConfig(recipes[name], raw), where);
}
