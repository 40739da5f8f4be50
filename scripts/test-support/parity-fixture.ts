// Test support: the PyTorch parity fixture written by tools/parity (float64 reference of a real GPT-2:
// logits, loss, gradients and 3 torch.optim.AdamW steps), shared by every package that checks against it.
// Fields: tools/parity/README.md.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A stored tensor. */
export interface StoredTensor {
  shape: number[];
  data: number[];
}

/** One model of the fixture. `Config` is `@procpt/model`'s `GptConfig` (not imported: this file has no deps). */
export interface ParityCase<Config> {
  name: string;
  config: Config;
  tokens: number[][];
  lossMask: number[][];
  weights: Record<string, StoredTensor>;
  logits: StoredTensor;
  loss: number;
  grads: Record<string, StoredTensor>;
  gradNorm: number;
  adamw: { losses: number[]; weights: Record<string, StoredTensor> };
}

/** The whole fixture: the AdamW settings of the optimizer steps and the cases. */
export interface ParityFixture<Config> {
  adamwConfig: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; steps: number };
  cases: ParityCase<Config>[];
}

/** Path of the fixture (`packages/model/src/fixtures/parity.json`). */
export const PARITY_FIXTURE_PATH = fileURLToPath(
  new URL('../../packages/model/src/fixtures/parity.json', import.meta.url),
);

/** Reads the fixture. */
export function loadParityFixture<Config>(): ParityFixture<Config> {
  return JSON.parse(readFileSync(PARITY_FIXTURE_PATH, 'utf8')) as ParityFixture<Config>;
}

/** The case's weights as float32 arrays by name, as `Gpt.fromWeights` takes them. */
export function parityWeights(c: ParityCase<unknown>): Map<string, Float32Array> {
  return new Map(Object.entries(c.weights).map(([k, v]) => [k, Float32Array.from(v.data)] as const));
}

/** max |a − b| / max |b| over a whole tensor: relative error robust to entries that are about 0. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return den === 0 ? num : num / den;
}
