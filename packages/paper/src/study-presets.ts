import { ProcptError } from '@procpt/core';
import { MODEL_SIZES, type StudyPreset, type WarmupRecipe } from './preset-types.js';
import { PAPER } from './presets/paper.js';
import { QUICK } from './presets/quick.js';
import { TINY } from './presets/tiny.js';

export * from './preset-types.js';

/** The shipped study presets. */
export const STUDY_PRESETS: Readonly<Record<string, StudyPreset>> = {
  tiny: TINY,
  quick: QUICK,
  paper: PAPER,
};

/** Names of the shipped presets. */
export const STUDY_PRESET_NAMES = Object.keys(STUDY_PRESETS);

/**
 * A preset by name, with optional overrides: `warmup` recipes are merged per type (params merged too) and
 * then apply to every task (they replace the preset's task-specific recipes of those types),
 * `semanticSize` picks a model size (`124M`, `350M`, `1.3B` or `nLayer_nHead_dModel`).
 */
export function studyPreset(
  name: string,
  overrides: { warmup?: Record<string, Partial<WarmupRecipe>>; semanticSize?: string } = {},
): StudyPreset {
  const base = Object.hasOwn(STUDY_PRESETS, name) ? STUDY_PRESETS[name] : undefined;
  if (!base) {
    throw new ProcptError('usage', `unknown study preset ${JSON.stringify(name)}`, {
      hint: `use one of ${STUDY_PRESET_NAMES.join(', ')}`,
    });
  }
  const preset: StudyPreset = structuredClone(base);
  for (const [type, recipe] of Object.entries(overrides.warmup ?? {})) {
    if (!/^[a-z][a-z0-9-]*$/.test(type)) {
      throw new ProcptError(
        'config',
        `warm-up override: ${JSON.stringify(type)} is not a procedural type name`,
        {
          hint: 'keys are type names such as dyck or sort',
        },
      );
    }
    if (typeof recipe !== 'object' || recipe === null || Array.isArray(recipe)) {
      throw new ProcptError('config', `warm-up override for ${type} must be an object`, {
        hint: 'e.g. {"dyck": {"steps": 2000, "params": {"k": 16}}}',
      });
    }
    const old = preset.warmup[type];
    if (!old && (recipe.steps === undefined || recipe.batchSize === undefined || recipe.lr === undefined)) {
      throw new ProcptError('config', `warm-up override for new type ${type} needs steps, batchSize and lr`);
    }
    // an override names the recipe of its type for every task: task-specific recipes of that type go
    for (const byType of Object.values(preset.warmupByTask ?? {})) delete byType[type];
    preset.warmup[type] = {
      ...(old as WarmupRecipe),
      ...recipe,
      params: { ...(old?.params ?? {}), ...(recipe.params ?? {}) },
    } as WarmupRecipe;
  }
  if (overrides.semanticSize !== undefined) {
    const size = Object.hasOwn(MODEL_SIZES, overrides.semanticSize)
      ? (MODEL_SIZES as Record<string, string>)[overrides.semanticSize]!
      : overrides.semanticSize;
    if (!/^\d+_\d+_\d+$/.test(size)) {
      throw new ProcptError('usage', `unknown model size ${JSON.stringify(overrides.semanticSize)}`, {
        hint: `use ${Object.keys(MODEL_SIZES).join(', ')} or nLayer_nHead_dModel`,
      });
    }
    preset.semantic.size = size;
  }
  return preset;
}
