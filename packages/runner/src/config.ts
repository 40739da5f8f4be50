import { extname } from 'node:path';
import { ProcptError, checkLimit, readTextFileLimited } from '@procpt/core';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BACKEND_ORDER } from '@procpt/trainer-gpu';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const group = z.enum(['attn', 'ffn', 'ln', 'embed']);

/**
 * The paper's length curriculum (`use_curriculum`): start at length `start`, grow by `step` whenever
 * the model's own task accuracy (Dyck: closing brackets; others: scored tokens) on `samples` fresh
 * samples reaches `threshold`, checked every `every` steps, up to `params.length`. Training data only.
 */
const curriculum = z.strictObject({
  start: posInt.default(2),
  step: posInt.default(2),
  threshold: z.number().gt(0).max(1).default(0.99),
  every: posInt.default(100),
  samples: posInt.default(64),
});

/** A procgen generator: `createGenerator({ type, seed, ...params })` + `generatorSource`. */
const procgenData = z.strictObject({
  kind: z.literal('procgen'),
  type: z.string().min(1),
  seed: nonNegInt.optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  packing: z.enum(['pad', 'concat']).default('pad'),
  curriculum: curriculum.optional(),
});

/** An llm.c token shard (`.bin`): consecutive windows of `length` tokens, every target scored. */
const shardData = z.strictObject({
  kind: z.literal('shard'),
  path: z.string().min(1),
  vocabSize: posInt,
});

/** A diagnostic task of @procpt/eval: its training stream (train) or fixed test set (eval). */
const diagnosticData = z.strictObject({
  kind: z.literal('diagnostic'),
  task: z.string().min(1),
  seed: nonNegInt.optional(),
  /** Seed of the training stream (default: the seed above). The paper's harness: 42 for every run seed. */
  streamSeed: nonNegInt.optional(),
  testSize: posInt.optional(),
});

/**
 * DeepMind-Math question/answer files (`procpt corpora dm-math` or the released dataset) as the paper trains
 * on them: `BOS question SEP answer`, loss on answer characters only, packed greedily into rows.
 */
const dmMathData = z.strictObject({
  kind: z.literal('dm-math'),
  /** `mathematics_dataset-v1.0`, or the folder that holds it. */
  root: z.string().min(1),
  /** `train` (easy + medium + hard), `interpolate` or `extrapolate`; default: train for training, interpolate for eval. */
  part: z.enum(['train', 'interpolate', 'extrapolate']).optional(),
  /** Seed of the difficulty/module draws (default: 42, the paper's). */
  seed: nonNegInt.optional(),
});

const dataSource = z.discriminatedUnion('kind', [procgenData, shardData, diagnosticData, dmMathData]);

/** The schema of a run config (YAML/JSON). Every field but `name`, `steps`, `model.size`, `data` has a default. */
export const runConfigSchema = z.strictObject({
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'letters, digits, ".", "_" and "-" only (it names the run directory)',
    ),
  /** A named run config this one starts from (see `resolveRunConfig`); fields here override it. */
  recipe: z.string().optional(),
  seed: nonNegInt.default(42),
  backend: z.enum(['auto', ...BACKEND_ORDER]).default('auto'),
  /** wasm threads (default: cores). */
  threads: posInt.optional(),
  steps: posInt,
  outDir: z.string().default('runs'),
  model: z.strictObject({
    /** `nLayer_nHead_dModel`, e.g. `12_12_768` (the paper's sizes: 2_4_16 diagnostics, 12_12_768 GPT-2 small). */
    size: z.string().regex(/^\d+_\d+_\d+$/, 'nLayer_nHead_dModel, e.g. 2_4_16'),
    /** Defaults to the data's vocabulary. */
    vocabSize: posInt.optional(),
    /** Defaults to `data.length - 1`. */
    nPositions: posInt.optional(),
    tied: z.boolean().default(true),
    dropout: z.number().min(0).lt(1).default(0.1),
    init: z
      .discriminatedUnion('from', [
        z.strictObject({ from: z.literal('scratch') }),
        /** Continue from a checkpoint's weights (architecture from its config.json). */
        z.strictObject({ from: z.literal('checkpoint'), path: z.string().min(1) }),
        /** The paper's transfer: copy parts of a pretrained checkpoint into a fresh model. */
        z.strictObject({
          from: z.literal('transfer'),
          path: z.string().min(1),
          parts: z.array(z.enum(['everything', 'attn', 'ffn', 'ln'])).min(1),
          embeddingInit: z.enum(['average', 'retain', 'random']).default('random'),
        }),
      ])
      .default({ from: 'scratch' }),
    /** Parameter groups to train; the rest stay frozen. */
    trainable: z.union([z.literal('all'), z.array(group).min(1)]).default('all'),
  }),
  data: z.strictObject({
    train: dataSource,
    eval: dataSource.optional(),
    batchSize: posInt,
    /** Tokens per row; defaults to the generator's maxLength. */
    length: z.number().int().min(2).optional(),
    /** Micro-batches per optimizer step. */
    accumulation: posInt.default(1),
  }),
  optimizer: z
    .strictObject({
      lr: z.number().positive(),
      beta1: z.number().min(0).lt(1).default(0.9),
      beta2: z.number().min(0).lt(1).default(0.999),
      eps: z.number().positive().default(1e-8),
      weightDecay: z.number().min(0).default(0.01),
      /** Parameter kinds without weight decay (paper procedural stage: none). */
      noDecay: z.array(z.enum(['bias', 'ln', 'embed'])).default([]),
      /** Global-norm clip (null: off). */
      gradClip: z.number().positive().nullable().default(1),
    })
    .default({ lr: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, noDecay: [], gradClip: 1 }),
  schedule: z
    .strictObject({
      kind: z.enum(['constant', 'cosine', 'linear']).default('constant'),
      warmupSteps: nonNegInt.default(0),
      minLrRatio: z.number().min(0).max(1).default(0.1),
      floor: z.enum(['clamp', 'scale']).default('clamp'),
    })
    .default({ kind: 'constant', warmupSteps: 0, minLrRatio: 0.1, floor: 'clamp' }),
  eval: z
    .strictObject({
      every: posInt.default(500),
      batches: posInt.default(10),
      patience: nonNegInt.default(0),
      metric: z.enum(['accuracy', 'loss']).default('accuracy'),
    })
    .default({ every: 500, batches: 10, patience: 0, metric: 'accuracy' }),
  checkpoint: z
    .strictObject({
      every: posInt.default(500),
      keep: posInt.default(3),
      /** Also keep the weights of the best evaluation (by `eval.metric`) in `<run>/best/`. */
      best: z.boolean().default(false),
    })
    .default({ every: 500, keep: 3, best: false }),
  log: z
    .strictObject({
      /** Peak FLOP/s of the device for MFU (null: no MFU). */
      peakFlops: z.number().positive().nullable().default(null),
      progress: z.boolean().default(true),
    })
    .default({ peakFlops: null, progress: true }),
  guards: z
    .strictObject({
      /** Tensor leaks and similar become errors. */
      debug: z.boolean().default(false),
      /** Memory the run may use; default: what the backend allows (wasm heap, free RAM). Not used by webgpu. */
      memoryLimitMB: z.number().positive().optional(),
      /**
       * GPU memory a webgpu run may use (MB): WebGPU does not report it, so without this only the adapter's
       * buffer limits are checked (`procpt train --gpu-memory`).
       */
      gpuMemoryMB: z.number().positive().optional(),
    })
    .default({ debug: false }),
});

/** A validated run config with defaults filled in. */
export type RunConfig = z.infer<typeof runConfigSchema>;
/** What a YAML/JSON file may contain (defaults optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;
/** A data section entry. */
export type DataSourceConfig = RunConfig['data']['train'];

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
}

/**
 * Validates a raw config object. Errors are `config` ProcptErrors naming every bad field, e.g.
 * `config field optimizer.lr: Too small: expected number to be >0`.
 */
export function parseRunConfig(raw: unknown, where = 'config'): RunConfig {
  const result = runConfigSchema.safeParse(raw);
  if (result.success) {
    if (result.data.threads !== undefined) {
      checkLimit('workers', result.data.threads, `${where}: threads`);
    }
    return result.data;
  }
  const problems = result.error.issues.map((issue) => {
    const field = formatPath(issue.path) || '(top level)';
    return `${field}: ${issue.message}`;
  });
  throw new ProcptError('config', `${where}: invalid field ${problems.join('; ')}`, {
    hint: 'see the run config reference in the @procpt/runner README',
  });
}

/** Deep merge for config layering: objects merge, everything else (arrays too) replaces. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // defineProperty: a "__proto__" key from JSON stays a plain (rejected) field, never a prototype
    Object.defineProperty(out, k, {
      value: mergeConfig(Object.hasOwn(base, k) ? base[k] : undefined, v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Applies `key.path=value` overrides (the CLI's `--set`). Values are parsed as YAML scalars or
 * flow collections, so `optimizer.lr=1e-3`, `model.trainable=[attn,ffn]`, `optimizer.gradClip=null` work.
 */
export function applySets(raw: unknown, sets: readonly string[]): unknown {
  let out = raw;
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new ProcptError('usage', `--set expects key.path=value, got ${JSON.stringify(set)}`);
    const keys = set.slice(0, eq).split('.');
    if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
      throw new ProcptError('usage', `--set: bad key path ${JSON.stringify(set.slice(0, eq))}`);
    }
    let value: unknown;
    try {
      value = parseYaml(set.slice(eq + 1)) as unknown;
    } catch (error) {
      throw new ProcptError(
        'usage',
        `--set ${set.slice(0, eq)}: the value is not valid YAML (${(error as Error).message.split('\n')[0]})`,
        {
          hint: 'quote it, e.g. --set \'name="a:b"\'',
        },
      );
    }
    const patch = keys.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
    out = mergeConfig(out, patch);
  }
  return out;
}

/** Reads a YAML (`.yaml`/`.yml`) or JSON file as a raw object (not yet validated). */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readTextFileLimited(path, `config file ${path}`);
  } catch (error) {
    if ((error as ProcptError).code !== 'io') throw error;
    throw new ProcptError('config', (error as ProcptError).message, { cause: error, hint: 'check the path' });
  }
  const ext = extname(path).toLowerCase();
  try {
    if (ext === '.json') return JSON.parse(text) as unknown;
    if (ext === '.yaml' || ext === '.yml') return parseYaml(text) as unknown;
  } catch (error) {
    throw new ProcptError(
      'config',
      `${path} is not valid ${ext.slice(1).toUpperCase()}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  throw new ProcptError('config', `config file ${path} must end in .yaml, .yml or .json`);
}
