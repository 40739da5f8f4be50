import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import { diagnosticTask } from '@procpt/eval';
import { type StudyPreset, type WarmupRecipe, diagnosticProtocol } from '@procpt/paper';
import type { RunConfigInput } from '@procpt/runner';
import { type ProceduralSource, proceduralData, sourceLabel } from '../procedural.js';
import type { ExperimentName, PlannedRun, ResultLabels } from './types.js';

/** Collects the runs of a plan: one shared warm-up per type, shape and recipe; fine-tunes deduplicated. */
export class PlanBuilder {
  readonly runs = new Map<string, PlannedRun>();
  constructor(
    readonly preset: StudyPreset,
    readonly out: string,
  ) {}

  add(run: PlannedRun, experiment: ExperimentName): PlannedRun {
    const existing = this.runs.get(run.id);
    if (existing) {
      if (!existing.experiments.includes(experiment)) existing.experiments.push(experiment);
      return existing;
    }
    for (const dep of run.deps) {
      if (!this.runs.has(dep)) throw new Error(`internal: ${run.id} planned before its dependency ${dep}`);
    }
    this.runs.set(run.id, run);
    return run;
  }

  /**
   * The recipes a warm-up of `source` for `task` uses: the preset's, with the task's own recipes
   * (`warmupByTask`) in place for the types they name; `name` tells a task-specific warm-up apart.
   */
  recipesFor(
    source: ProceduralSource,
    task: string | undefined,
  ): { recipes: Record<string, WarmupRecipe>; name?: string } {
    const own = task === undefined ? undefined : this.preset.warmupByTask?.[task];
    if (!own) return { recipes: this.preset.warmup };
    const types = source.mixture ? Object.keys(source.mixture.components) : [source.type];
    const used = types.filter((t) => own[t] !== undefined);
    if (used.length === 0) return { recipes: this.preset.warmup };
    const name = used.map((t) => own[t]!.name ?? `for-${task}`).join('+');
    return { recipes: { ...this.preset.warmup, ...own }, name };
  }

  /** The shared warm-up of `source` at the shape of `task` (one per type, model size and recipe). */
  warmup(
    source: ProceduralSource,
    task: string,
    experiment: ExperimentName,
    at?: { shape: { size: string; nPositions: number }; steps: number },
  ): PlannedRun {
    const p = this.preset;
    const label = sourceLabel(source);
    const recipes = this.recipesFor(source, at ? undefined : task);
    const base = proceduralData(source, recipes.recipes);
    const data = at ? { ...base, recipe: { ...base.recipe, steps: at.steps } } : base;
    const shape = at?.shape ?? diagnosticProtocol(task, 'paper').model;
    const variant = recipes.name ? `-${recipes.name}` : '';
    const name = `${label}-${shape.size}${variant}-s${p.warmupSeed}${at ? `-${at.steps}steps` : ''}`;
    // The warm-up model has the task model's layers, heads and width, and enough positions for its rows:
    // a transfer copies its `wpe` only when it has at least the task's positions (the paper's rule).
    const nPositions = Math.max(data.recipe.nPositions ?? 0, shape.nPositions, data.rowLength - 1);
    const batch = data.recipe.batchSize * (data.recipe.accumulation ?? 1);
    const evalEvery = data.recipe.evalEvery ?? Math.max(1, Math.ceil(data.recipe.steps / 4));
    const keepBest = data.recipe.keepBest === true;
    return this.add(
      {
        id: `pretrain/${name}`,
        stage: 'pretrain',
        name,
        dir: join(this.out, 'pretrain', name),
        experiments: [experiment],
        deps: [],
        seed: p.warmupSeed,
        config: {
          name,
          seed: p.warmupSeed,
          steps: data.recipe.steps,
          outDir: join(this.out, 'pretrain'),
          model: {
            size: shape.size,
            nPositions,
            tied: data.recipe.tied ?? true,
            dropout: data.recipe.dropout ?? 0.1,
          },
          data: {
            // A curriculum needs a masterable task: shuffled controls and mixtures train at full length.
            train:
              data.recipe.curriculum && data.config.kind === 'procgen' && !source.shuffled && !source.mixture
                ? { ...data.config, curriculum: data.recipe.curriculum }
                : data.config,
            eval: data.config,
            batchSize: data.recipe.batchSize,
            accumulation: data.recipe.accumulation ?? 1,
          },
          optimizer: { lr: data.recipe.lr, weightDecay: data.recipe.weightDecay ?? 0.01, gradClip: 1 },
          schedule: { kind: 'constant', warmupSteps: data.recipe.warmupSteps ?? 0 },
          eval: { every: evalEvery, batches: data.recipe.evalBatches ?? 4, patience: 0, metric: 'accuracy' },
          checkpoint: { every: Math.min(p.checkpointEvery, data.recipe.steps), keep: 2, best: keepBest },
          log: { progress: false },
        },
        warmup: {
          label,
          source,
          // a shuffled control is transferred as the warm-up it controls for
          ...(data.recipe.transfer ? { transfer: [...data.recipe.transfer] } : {}),
        },
        weights: keepBest ? 'best' : 'final',
        tokens: data.recipe.steps * batch * data.rowLength,
        shape: { size: shape.size, vocabSize: data.vocabSize, nPositions, length: data.rowLength },
      },
      experiment,
    );
  }

  /** A diagnostic fine-tuning run of `task`, seed `seed`, from scratch or from warm-up weights. */
  finetune(
    task: string,
    seed: number,
    experiment: ExperimentName,
    init:
      | { kind: 'scratch' }
      | { kind: 'transfer'; from: PlannedRun; parts: ('everything' | 'attn' | 'ffn' | 'ln')[] }
      | { kind: 'assemble'; attn: PlannedRun; ffn: PlannedRun },
  ): PlannedRun {
    const t = diagnosticTask(task);
    const budget = this.preset.finetune[t.name];
    if (!budget) {
      throw new ProcptError('config', `preset ${this.preset.name} has no fine-tuning budget for ${t.name}`);
    }
    const shape = diagnosticProtocol(t.name, 'paper').model;
    let label: string;
    let result: ResultLabels;
    let model: RunConfigInput['model'] = { size: shape.size };
    const deps: string[] = [];
    if (init.kind === 'scratch') {
      label = 'none';
      result = { kind: 'diagnostic', task: t.name, procedural: 'none' };
    } else if (init.kind === 'transfer') {
      const source = init.from.warmup!.source;
      const parts = init.parts.join('+');
      label = parts === 'everything' ? init.from.warmup!.label : `${init.from.warmup!.label}-${parts}`;
      result = {
        kind: 'diagnostic',
        task: t.name,
        procedural: source.mixture ? init.from.warmup!.label : source.type,
        transfer: parts,
        proceduralTokens: init.from.tokens,
        ...(source.shuffled ? { shuffled: true } : {}),
      };
      model = {
        size: shape.size,
        init: {
          from: 'transfer',
          path: join(init.from.dir, init.from.weights),
          parts: init.parts,
          // The paper's code touches embeddings only for `everything`: attention-/MLP-only transfers keep them random.
          embeddingInit: init.parts.includes('everything') ? 'average' : 'random',
        },
      };
      deps.push(init.from.id);
    } else {
      const a = init.attn.warmup!.label;
      const f = init.ffn.warmup!.label;
      label = `asm-${a}_attn-${f}_ffn`;
      result = {
        kind: 'diagnostic',
        task: t.name,
        procedural: `${a}+${f}`,
        assembly: `${a}:attn+${f}:ffn`,
        proceduralTokens: init.attn.tokens + init.ffn.tokens,
      };
      deps.push(init.attn.id, init.ffn.id);
    }
    const name = `${t.name}-${label}-s${seed}`;
    return this.add(
      {
        id: `finetune/${name}`,
        stage: 'finetune',
        name,
        dir: join(this.out, 'finetune', name),
        experiments: [experiment],
        deps,
        seed,
        weights: 'final',
        config: {
          recipe: `diagnostic/${t.name}`,
          name,
          seed,
          steps: budget.steps,
          outDir: join(this.out, 'finetune'),
          model,
          data: {
            train: {
              kind: 'diagnostic',
              task: t.name,
              ...(this.preset.finetuneStreamSeed !== undefined
                ? { streamSeed: this.preset.finetuneStreamSeed }
                : {}),
            },
            eval: { kind: 'diagnostic', task: t.name, testSize: budget.testSize },
            batchSize: budget.batchSize,
          },
          schedule: { kind: 'cosine', warmupSteps: budget.warmupSteps, minLrRatio: 0, floor: 'scale' },
          eval: {
            every: budget.evalEvery,
            batches: Math.ceil(budget.testSize / budget.batchSize),
            patience: 0,
            metric: 'accuracy',
          },
          checkpoint: { every: Math.min(this.preset.checkpointEvery, budget.steps), keep: 2 },
          log: { progress: false },
        },
        ...(init.kind === 'assemble' ? { assemble: { attn: init.attn.id, ffn: init.ffn.id } } : {}),
        result,
        evaluate: { task: t.name, seed, testSize: budget.testSize },
        tokens: budget.steps * budget.batchSize * t.length,
        shape: { size: shape.size, vocabSize: t.vocabSize, nPositions: t.nPositions, length: t.length },
      },
      experiment,
    );
  }
}
