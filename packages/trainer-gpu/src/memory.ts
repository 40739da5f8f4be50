import { totalmem } from 'node:os';
import { LIMITS, ProcptError, limitBytes, raiseHint } from '@procpt/core';
import { type GptConfig, estimateModelMemory } from '@procpt/model';
import type { BackendName } from './backends.js';

/** A rough float32 memory estimate of one training step, in bytes, by part. */
export interface MemoryEstimate {
  /** Weights, gradients, AdamW moments (and the accumulation buffer). */
  state: number;
  /** Activations kept for the backward pass of one micro-batch. */
  activations: number;
  /** One chunk of logits + softmax + its gradient in the fused head. */
  head: number;
  total: number;
}

/**
 * Estimates the memory of a training step without allocating anything. tfjs keeps every forward
 * intermediate for backprop (no recomputation), so per layer and token it holds about 40·d floats
 * (LN, qkv, MLP 4d and GELU temporaries, residuals) plus ~4 attention matrices of nHead·T.
 * Within about 2× of measured use; meant to refuse hopeless batch sizes early.
 */
export function estimateTrainingMemory(
  config: GptConfig,
  options: {
    batchSize: number;
    length: number;
    accumulation: number;
    /** Parameters held in float32 (default: all of the model's, `estimateModelMemory(config)`). */
    parameters?: number;
    chunkRows?: number;
    /** Whether [B, H, T, T] attention matrices are kept (default true; a flash-style fused kernel keeps none). */
    attentionMatrices?: boolean;
  },
): MemoryEstimate {
  const t = options.length - 1;
  const tokens = options.batchSize * t;
  const f32 = 4;
  // weights, gradients and two AdamW moments (and the accumulation buffer): the model's own
  // weight estimate (@procpt/model's estimateModelMemory) times 4 or 5
  const weights =
    options.parameters === undefined ? estimateModelMemory(config).weights : options.parameters * f32;
  const state = weights * (options.accumulation > 1 ? 5 : 4);
  const matrices = options.attentionMatrices === false ? 0 : 4 * config.nHead * t;
  const perLayer = tokens * (40 * config.dModel + matrices);
  const activations = f32 * (config.nLayer * perLayer + tokens * 4 * config.dModel);
  const rows = Math.min(tokens, options.chunkRows ?? Math.max(1, Math.floor((1 << 22) / config.vocabSize)));
  const head = f32 * rows * config.vocabSize * 3;
  return { state, activations, head, total: state + activations + head };
}

/**
 * Memory a backend can give a run: `PROCPT_MEMORY_LIMIT_MB` when set, else the wasm heap's practical
 * ceiling, else the `memory` limit of `@procpt/core` (free RAM, at least half of it). `webgpu` computes in
 * GPU memory, which WebGPU does not report: Infinity here; its guard is `assertFitsOnWebGpu` (the adapter's
 * buffer limits and an explicit `guards.gpuMemoryMB`).
 */
export function defaultMemoryLimit(backend: BackendName): number {
  if (backend === 'webgpu') return Number.POSITIVE_INFINITY;
  const override = process.env[LIMITS.memory.env];
  // wasm32 tops out at 4 GiB, and tfjs-wasm failed above ~3 GB in the feasibility probe.
  if (backend === 'wasm' && !override) return Math.min(2.5 * 1024 ** 3, totalmem());
  return limitBytes('memory');
}

/**
 * Throws a `config` error, before anything is allocated, when the estimate exceeds `limitBytes`.
 * `hint` replaces the run-config advice (e.g. for flags of `procpt bench train`).
 */
export function assertFitsInMemory(
  estimate: MemoryEstimate,
  limitBytes: number,
  where: string,
  hint?: string,
): void {
  if (estimate.total <= limitBytes) return;
  const gb = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GB`;
  throw new ProcptError(
    'config',
    `${where}: a training step needs about ${gb(estimate.total)} (weights+optimizer ${gb(estimate.state)}, activations ${gb(estimate.activations)}, head ${gb(estimate.head)}) but only ${gb(limitBytes)} is available`,
    {
      hint: hint
        ? `${hint}; ${raiseHint('memory')}`
        : `lower data.batchSize and raise data.accumulation (same effective batch), shorten data.length, or set guards.memoryLimitMB (${raiseHint('memory')})`,
    },
  );
}
