import type { GptConfig } from './config.js';
import type { ParameterSpec } from './names.js';

/** splitmix32 step: spreads (seed, stream) into well-mixed 32-bit state words. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * xoshiro128** — a small, fast, seedable PRNG. Used only for weight init so that the same seed
 * gives the same bytes on every backend and machine (tfjs' own random ops are backend-specific).
 */
class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream: number) {
    this.a = mix32(seed ^ 0x1234567);
    this.b = mix32(this.a ^ stream);
    this.c = mix32(this.b + 0x6a09e667);
    this.d = mix32(this.c ^ 0xbb67ae85) | 1;
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in (0, 1]: never 0, so log() in Box–Muller is finite. */
  nextOpen(): number {
    return (this.nextU32() + 1) / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fills `out` with N(0, std²) samples (Box–Muller) from the stream (seed, stream). */
export function fillNormal(out: Float32Array, std: number, seed: number, stream: number): void {
  const rng = new Xoshiro128(seed >>> 0, stream >>> 0);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rng.nextOpen()));
    const theta = 2 * Math.PI * rng.nextOpen();
    out[i] = std * r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = std * r * Math.sin(theta);
  }
}

/**
 * Initial values of one parameter, as HF GPT-2 initialises them: weights N(0, initializerRange²),
 * residual projections (`attn.c_proj.weight`, `mlp.c_proj.weight`) N(0, (range/√(2·nLayer))²),
 * biases 0, LayerNorm gains 1. `index` is the parameter's position in the fixed order and selects
 * an independent random stream.
 */
export function initialValues(
  spec: ParameterSpec,
  config: GptConfig,
  seed: number,
  index: number,
): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  switch (spec.init) {
    case 'ones':
      out.fill(1);
      break;
    case 'zeros':
      break;
    case 'normal':
      fillNormal(out, config.initializerRange, seed, index);
      break;
    case 'scaledNormal':
      fillNormal(out, config.initializerRange / Math.sqrt(2 * config.nLayer), seed, index);
      break;
  }
  return out;
}
