import { ProcptError } from '@procpt/core';
import * as procgen from '@procpt/procgen';
import type { MixtureSpec, WarmupRecipe } from '@procpt/paper';
import type { DataSourceConfig } from '@procpt/runner';

/** What a warm-up trains on: one procedural type, its shuffled control, or a mixture of types. */
export interface ProceduralSource {
  type: string;
  shuffled?: boolean;
  mixture?: MixtureSpec;
}

/** The run label of a source: `dyck`, `shuffled-dyck`, `mix-set50-union50`. */
export function sourceLabel(source: ProceduralSource): string {
  if (source.mixture) return `mix-${source.mixture.name}`;
  return source.shuffled ? `shuffled-${source.type}` : source.type;
}

/** The trainer data config of a source, the recipe that trains on it, and its vocabulary and row length. */
export interface ProceduralData {
  config: DataSourceConfig;
  recipe: WarmupRecipe;
  vocabSize: number;
  /** Tokens per row (the generator's maxLength). */
  rowLength: number;
}

type GeneratorLike = { vocabSize: number; maxLength: number };
type CreateGenerator = (spec: { type: string; seed?: number; [k: string]: unknown }) => GeneratorLike;

// Looked up at run time: a procgen build without generators still lets the study plan and report.
function createGenerator(): CreateGenerator | undefined {
  const fn = (procgen as Record<string, unknown>).createGenerator;
  return typeof fn === 'function' ? (fn as CreateGenerator) : undefined;
}

function recipeOf(type: string, recipes: Record<string, WarmupRecipe>): WarmupRecipe {
  const recipe = recipes[type];
  if (!recipe) {
    throw new ProcptError('config', `no warm-up recipe for procedural type ${JSON.stringify(type)}`, {
      hint: `add one with --warmup '{"${type}": {"params": {...}, "steps": N, "batchSize": B, "lr": 1e-3}}'`,
    });
  }
  return recipe;
}

/** The generator spec (type + params) of a source, as `createGenerator` takes it. */
export function generatorSpec(
  source: ProceduralSource,
  recipes: Record<string, WarmupRecipe>,
): { type: string; params: Record<string, unknown> } {
  if (source.mixture) {
    const components = Object.entries(source.mixture.components).map(([type, weight]) => ({
      type,
      weight,
      ...recipeOf(type, recipes).params,
    }));
    return { type: 'mixture', params: { components } };
  }
  const params = recipeOf(source.type, recipes).params;
  if (source.shuffled) return { type: 'shuffled', params: { base: { type: source.type, ...params } } };
  return { type: source.type, params: { ...params } };
}

/**
 * Resolves a source under the preset's recipes. The vocabulary and row length come from the generator
 * when @procpt/procgen is available, else from the recipe's `vocabSize`/`k` and `length` (estimates for
 * a dry run; a real run builds the generator and fails clearly if it does not exist).
 */
export function proceduralData(
  source: ProceduralSource,
  recipes: Record<string, WarmupRecipe>,
): ProceduralData {
  const first = source.mixture ? Object.keys(source.mixture.components)[0] : source.type;
  if (first === undefined)
    throw new ProcptError('config', `mixture ${source.mixture?.name} has no components`);
  const recipe = recipeOf(first, recipes);
  const spec = generatorSpec(source, recipes);
  const create = createGenerator();
  let vocabSize: number;
  let rowLength: number;
  if (create) {
    const gen = create({ ...spec.params, type: spec.type, seed: 0 });
    vocabSize = gen.vocabSize;
    rowLength = gen.maxLength;
  } else {
    const p = recipe.params;
    const length = typeof p.length === 'number' ? p.length : 64;
    const v = typeof p.vocabSize === 'number' ? p.vocabSize : typeof p.k === 'number' ? 2 * p.k : 2;
    vocabSize = v + 2;
    rowLength = typeof p.k === 'number' ? length : 2 * length + 1;
  }
  return {
    config: { kind: 'procgen', type: spec.type, params: spec.params, packing: 'pad' },
    recipe,
    vocabSize,
    rowLength,
  };
}
