import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';

/** Memory in use, in MiB: process RSS, tfjs-held bytes, live tensors, and the wasm heap when on wasm. */
export interface MemorySnapshot {
  rssMB: number;
  tensorMB: number;
  numTensors: number;
  wasmHeapMB?: number;
}

const MB = 1024 * 1024;
const round = (x: number, digits = 1) => Number(x.toFixed(digits));

/** Current memory use. */
export function memorySnapshot(): MemorySnapshot {
  const mem = tf.memory();
  const snap: MemorySnapshot = {
    rssMB: round(process.memoryUsage().rss / MB),
    tensorMB: round(mem.numBytes / MB),
    numTensors: mem.numTensors,
  };
  if (tf.getBackend() === 'wasm') {
    const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
    if (heap) snap.wasmHeapMB = round(heap.length / MB);
  }
  return snap;
}

/** Model FLOPs utilisation: achieved FLOP/s over `peakFlops` (null without a peak). */
export function mfu(flopsPerToken: number, tokensPerSecond: number, peakFlops: number | null): number | null {
  return peakFlops && peakFlops > 0 ? (flopsPerToken * tokensPerSecond) / peakFlops : null;
}

/** One line of `metrics.jsonl` for a training step. */
export interface StepMetrics {
  kind: 'train';
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Tokens in this step (all positions) and in the run so far. */
  stepTokens: number;
  tokens: number;
  scoredTargets: number;
  msPerStep: number;
  tokensPerSecond: number;
  mfu: number | null;
  memory: MemorySnapshot;
  time: string;
}

/** One line of `metrics.jsonl` for an evaluation. */
export interface EvalMetrics {
  kind: 'eval';
  step: number;
  loss: number;
  accuracy: number;
  perplexity: number;
  count: number;
  time: string;
}

/**
 * Appends metrics as JSON lines. On resume, {@link MetricsLog.truncateAfter} drops lines past the
 * resumed step (and a torn last line from a killed process), so the file reads like one run.
 */
export class MetricsLog {
  private ready = false;
  constructor(readonly path: string) {}

  async append(record: StepMetrics | EvalMetrics | Record<string, unknown>): Promise<void> {
    if (!this.ready) {
      await mkdir(dirname(this.path), { recursive: true });
      this.ready = true;
    }
    await appendFile(this.path, `${JSON.stringify(record)}\n`);
  }

  async truncateAfter(step: number): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return;
    }
    const kept: string[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const rec = JSON.parse(line) as { step?: unknown };
        if (typeof rec.step !== 'number' || rec.step <= step) kept.push(line);
      } catch {
        // torn line written when the process was killed
      }
    }
    await writeFileAtomic(this.path, kept.length ? `${kept.join('\n')}\n` : '');
  }
}

/** Reads every record of a metrics file. */
export async function readMetrics(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
