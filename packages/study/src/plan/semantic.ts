import { join } from 'node:path';
import type { SemanticDomain } from '@procpt/paper';
import { proceduralData } from '../procedural.js';
import type { PlanBuilder } from './builder.js';
import type { PlannedRun } from './types.js';

/** Vocabulary of each domain's tokenizer: GPT-2 BPE for language and code, the DM-Math characters for math. */
const DOMAIN_VOCAB: Record<SemanticDomain, number> = { language: 50257, code: 50257, math: 99 };
/** The paper's full-model transfer into the semantic stage: blocks + ln_f, embeddings re-initialised. */
const SEMANTIC_PARTS: ('attn' | 'ffn' | 'ln')[] = ['attn', 'ffn', 'ln'];
/** A warm-up shorter than this teaches nothing measurable, whatever the front-loading fraction says. */
const MIN_WARMUP_STEPS = 20;

/**
 * Plans the `semantic` experiment: per domain and seed, a baseline from scratch and one run per procedural
 * type whose warm-up (at the semantic model's shape, sized to `proceduralFraction` of the semantic tokens,
 * at least {@link MIN_WARMUP_STEPS} steps) is transferred with the paper's full-block transfer and freshly
 * initialised embeddings. Token shards of each domain are prepared once, by the first run that needs them.
 */
export function planSemantic(b: PlanBuilder): void {
  const { semantic: s } = b.preset;
  const seeds = s.seeds ?? b.preset.seeds;
  const semanticTokens = s.steps * s.batchSize * s.accumulation * s.length;
  const shape = { size: s.size, nPositions: s.length - 1 };
  const warmups = s.types.map((type) => {
    const data = proceduralData({ type }, b.preset.warmup);
    const rowTokens = data.recipe.batchSize * (data.recipe.accumulation ?? 1) * data.rowLength;
    const steps = Math.max(MIN_WARMUP_STEPS, Math.ceil((s.proceduralFraction * semanticTokens) / rowTokens));
    return b.warmup({ type }, 'haystack', 'semantic', { shape, steps });
  });
  for (const domain of s.domains) {
    const vocabSize = DOMAIN_VOCAB[domain];
    const dataDir = join(b.out, 'data', domain);
    for (const seed of seeds) {
      semanticRun(b, domain, seed, vocabSize, dataDir, undefined);
      for (const w of warmups) semanticRun(b, domain, seed, vocabSize, dataDir, w);
    }
  }
}

function semanticRun(
  b: PlanBuilder,
  domain: SemanticDomain,
  seed: number,
  vocabSize: number,
  dataDir: string,
  warmup: PlannedRun | undefined,
): PlannedRun {
  const s = b.preset.semantic;
  const label = warmup ? warmup.warmup!.label : 'none';
  const name = `semantic-${domain}-${label}-s${seed}`;
  const shard = (file: string) => ({ kind: 'shard' as const, path: join(dataDir, file), vocabSize });
  // Math trains and validates as the paper does: answer characters only, problems packed into rows
  // (train-* files, then the interpolate split). Language and code score every token of their shards.
  const data =
    domain === 'math'
      ? {
          train: { kind: 'dm-math' as const, root: dataDir, part: 'train' as const },
          eval: { kind: 'dm-math' as const, root: dataDir, part: 'interpolate' as const },
        }
      : { train: shard('train.bin'), eval: shard('val.bin') };
  return b.add(
    {
      id: `finetune/${name}`,
      stage: 'finetune',
      name,
      dir: join(b.out, 'finetune', name),
      experiments: ['semantic'],
      deps: warmup ? [warmup.id] : [],
      seed,
      weights: 'final',
      config: {
        name,
        seed,
        steps: s.steps,
        outDir: join(b.out, 'finetune'),
        model: {
          size: s.size,
          vocabSize,
          nPositions: s.length - 1,
          tied: true,
          dropout: 0,
          ...(warmup
            ? {
                init: {
                  from: 'transfer' as const,
                  path: join(warmup.dir, warmup.weights),
                  parts: SEMANTIC_PARTS,
                  embeddingInit: 'random' as const,
                },
              }
            : {}),
        },
        data: {
          ...data,
          batchSize: s.batchSize,
          accumulation: s.accumulation,
          length: s.length,
        },
        optimizer: { lr: s.lr, weightDecay: 0.01, gradClip: 1 },
        schedule: { kind: 'cosine', warmupSteps: 0, minLrRatio: 0.1, floor: 'scale' },
        eval: { every: s.evalEvery, batches: s.evalBatches, patience: 0, metric: 'loss' },
        checkpoint: { every: Math.min(b.preset.checkpointEvery, s.steps), keep: 2 },
        log: { progress: false },
      },
      semantic: {
        domain,
        dataDir,
        vocabSize,
        mathPerModule: s.mathPerModule,
        ...(s.maxDocuments === undefined ? {} : { maxDocuments: s.maxDocuments }),
      },
      result: {
        kind: 'semantic',
        task: domain,
        procedural: warmup ? warmup.warmup!.source.type : 'none',
        ...(warmup ? { transfer: SEMANTIC_PARTS.join('+'), proceduralTokens: warmup.tokens } : {}),
      },
      tokens: s.steps * s.batchSize * s.accumulation * s.length,
      shape: { size: s.size, vocabSize, nPositions: s.length - 1, length: s.length },
    },
    'semantic',
  );
}
