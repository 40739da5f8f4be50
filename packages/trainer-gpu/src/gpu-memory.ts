// The memory guard of the webgpu backend. WebGPU does not report how much GPU memory there is, so host RAM
// (what the guard checks for the CPU backends) says nothing about a webgpu run. What it does report are the
// adapter's buffer limits: no tensor may exceed `maxBufferSize`, and a tensor over
// `maxStorageBufferBindingSize` cannot be bound by a shader (WebGPU then returns garbage, not an error). So a
// run is refused before anything is allocated when its largest tensor is over those limits, or when the total
// estimate is over an explicit GPU memory budget (`guards.gpuMemoryMB`, `procpt train --gpu-memory`).
import { ProcptError } from '@procpt/core';
import { chunkRowsFor, type GptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS } from '@procpt/model/kernel-spec';
import { estimateTrainingMemory, type MemoryEstimate } from './memory.js';
import type { WebGpuLimits } from './webgpu.js';

/** The shape of a training step, as the guard needs it. */
export interface StepShape {
  batchSize: number;
  /** Sequence length of a batch (the model sees length − 1 tokens). */
  length: number;
  accumulation: number;
  parameters: number;
  /** The fused WGSL attention (no [B, H, T, T] tensors) and cross-entropy (logit chunks within the binding limit). */
  fused: boolean;
}

/** Whether the fused WGSL kernels are registered for `webgpu` now (see `PROCPT_WEBGPU_FUSED`). */
export function webGpuFusedActive(): boolean {
  return tf.getKernel(FUSED_KERNELS.attention, 'webgpu') !== undefined;
}

/** The largest single float32 tensor of a training step, in bytes, and what it is. */
export function largestTrainingTensor(config: GptConfig, step: StepShape): { bytes: number; what: string } {
  const t = step.length - 1;
  const tokens = step.batchSize * t;
  const { dModel: d, vocabSize: v, nHead: h } = config;
  const candidates: Array<[number, string]> = [
    [v * d, `the embedding [${v}, ${d}] (and its gradient and AdamW moments)`],
    [config.nPositions * d, `the position embedding [${config.nPositions}, ${d}]`],
    [d * 4 * d, `an MLP weight [${d}, ${4 * d}]`],
    [tokens * 4 * d, `an MLP activation [${tokens}, ${4 * d}] (batch × (length − 1) rows)`],
    [tokens * 3 * d, `the attention input [${tokens}, ${3 * d}]`],
  ];
  if (!step.fused) {
    candidates.push([
      step.batchSize * h * t * t,
      `the attention scores [${step.batchSize}, ${h}, ${t}, ${t}]`,
    ]);
    const rows = Math.min(tokens, chunkRowsFor(v));
    candidates.push([rows * v, `a chunk of logits [${rows}, ${v}]`]);
  }
  const [elements, what] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  return { bytes: elements * 4, what };
}

function size(bytes: number): string {
  return bytes >= 1024 ** 3
    ? `${(bytes / 1024 ** 3).toFixed(2)} GiB`
    : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * Refuses a webgpu run whose largest tensor is over the adapter's `maxBufferSize` or
 * `maxStorageBufferBindingSize` (when `limits` are known), or whose estimated total is over
 * `gpuMemoryBytes` (when given). Returns the estimate. Never looks at host RAM.
 */
export function assertFitsOnWebGpu(
  config: GptConfig,
  step: StepShape,
  where: string,
  options: { limits?: WebGpuLimits; gpuMemoryBytes?: number } = {},
): MemoryEstimate {
  const hint =
    'lower data.batchSize and raise data.accumulation (same effective batch), shorten data.length, or use a smaller vocabulary';
  if (options.limits) {
    const { bytes, what } = largestTrainingTensor(config, step);
    const { maxBufferSize, maxStorageBufferBindingSize } = options.limits;
    const limit = Math.min(maxBufferSize, maxStorageBufferBindingSize);
    if (bytes > limit) {
      const name = limit === maxStorageBufferBindingSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
      throw new ProcptError(
        'config',
        `${where}: ${what} needs one GPU buffer of ${size(bytes)}, but this WebGPU adapter allows at most ${size(limit)} (${name}); WebGPU would compute garbage`,
        { hint: step.fused ? hint : `${hint}; the fused WGSL kernels (PROCPT_WEBGPU_FUSED unset) need less` },
      );
    }
  }
  const estimate = estimateTrainingMemory(config, {
    batchSize: step.batchSize,
    length: step.length,
    accumulation: step.accumulation,
    parameters: step.parameters,
    attentionMatrices: !step.fused,
  });
  if (options.gpuMemoryBytes !== undefined && estimate.total > options.gpuMemoryBytes) {
    throw new ProcptError(
      'config',
      `${where}: a training step needs about ${size(estimate.total)} of GPU memory (weights+optimizer ${size(estimate.state)}, activations ${size(estimate.activations)}, head ${size(estimate.head)}) but the GPU memory limit is ${size(options.gpuMemoryBytes)}`,
      { hint: `${hint}, or raise guards.gpuMemoryMB (procpt train --gpu-memory)` },
    );
  }
  return estimate;
}
