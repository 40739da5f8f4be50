import { ProcptError, checkLimit, formatValue, formatBytes, limitBytes, raiseHint } from '@procpt/core';

/** Architecture of a GPT-2 model (HF `GPT2Config` semantics, camel-cased). */
export interface GptConfig {
  /** Transformer blocks. */
  nLayer: number;
  /** Attention heads per block; must divide `dModel`. */
  nHead: number;
  /** Residual stream width (`n_embd`). */
  dModel: number;
  /** Token vocabulary size (rows of `wte`). */
  vocabSize: number;
  /** Maximum context length (rows of `wpe`). */
  nPositions: number;
  /** Output head shares `wte` (HF default) instead of its own `lm_head.weight`. */
  tied: boolean;
  /** Dropout probability used for embeddings, attention weights and residual branches. */
  dropout: number;
  /** LayerNorm epsilon (GPT-2: 1e-5). */
  layerNormEpsilon: number;
  /** Standard deviation of the normal weight init (GPT-2: 0.02). */
  initializerRange: number;
}

/**
 * The paper's named sizes (`SIZE_TO_CONFIG` of its code, key `layers_heads_dmodel`) plus GPT-2
 * medium (`24_16_1024`, the 350M model) and `2_4_128` (the tfjs feasibility/benchmark shape).
 */
export const MODEL_PRESETS: Record<string, { nLayer: number; nHead: number; dModel: number }> = {
  '2_4_16': { nLayer: 2, nHead: 4, dModel: 16 },
  '4_4_16': { nLayer: 4, nHead: 4, dModel: 16 },
  '8_4_16': { nLayer: 8, nHead: 4, dModel: 16 },
  '12_4_16': { nLayer: 12, nHead: 4, dModel: 16 },
  '2_4_64': { nLayer: 2, nHead: 4, dModel: 64 },
  '2_4_128': { nLayer: 2, nHead: 4, dModel: 128 },
  '4_4_256': { nLayer: 4, nHead: 4, dModel: 256 },
  '4_8_512': { nLayer: 4, nHead: 8, dModel: 512 },
  '12_1_64': { nLayer: 12, nHead: 1, dModel: 64 },
  '12_3_192': { nLayer: 12, nHead: 3, dModel: 192 },
  '12_6_384': { nLayer: 12, nHead: 6, dModel: 384 },
  '1_12_768': { nLayer: 1, nHead: 12, dModel: 768 },
  '2_12_768': { nLayer: 2, nHead: 12, dModel: 768 },
  '3_12_768': { nLayer: 3, nHead: 12, dModel: 768 },
  '6_12_768': { nLayer: 6, nHead: 12, dModel: 768 },
  '12_12_768': { nLayer: 12, nHead: 12, dModel: 768 },
  '24_16_1024': { nLayer: 24, nHead: 16, dModel: 1024 },
  '16_8_2048': { nLayer: 16, nHead: 8, dModel: 2048 },
  '24_16_2048': { nLayer: 24, nHead: 16, dModel: 2048 },
};

const DEFAULTS = { tied: true, dropout: 0.1, layerNormEpsilon: 1e-5, initializerRange: 0.02 } as const;

/**
 * Builds a validated config from a size key `nLayer_nHead_dModel` (a preset name or any such
 * triple, e.g. `'3_2_32'`) and the data-dependent fields. Defaults: tied head, dropout 0.1 (the
 * paper's), LayerNorm ε 1e-5, init std 0.02.
 */
export function gptConfig(
  size: string,
  overrides: Partial<GptConfig> & { vocabSize: number; nPositions: number },
): GptConfig {
  const shape = Object.hasOwn(MODEL_PRESETS, size)
    ? (MODEL_PRESETS[size] as (typeof MODEL_PRESETS)[string])
    : parseSize(size);
  return validateConfig({ ...DEFAULTS, ...shape, ...overrides });
}

function parseSize(size: string): { nLayer: number; nHead: number; dModel: number } {
  const m = typeof size === 'string' ? /^(\d{1,15})_(\d{1,15})_(\d{1,15})$/.exec(size) : null;
  if (!m) {
    throw new ProcptError('config', `unknown model size ${JSON.stringify(size)}`, {
      hint: `use nLayer_nHead_dModel, e.g. one of ${Object.keys(MODEL_PRESETS).join(', ')}`,
    });
  }
  return { nLayer: Number(m[1]), nHead: Number(m[2]), dModel: Number(m[3]) };
}

/** Throws a `config` ProcptError naming the first invalid field; returns the config otherwise. */
export function validateConfig(config: GptConfig): GptConfig {
  const posInt = (field: keyof GptConfig) => {
    const v = config[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new ProcptError('config', `model ${field} must be a positive integer, got ${String(v)}`);
    }
  };
  if (typeof config !== 'object' || config === null) {
    throw new ProcptError('config', `model config must be an object, got ${String(config)}`);
  }
  for (const f of ['nLayer', 'nHead', 'dModel', 'vocabSize', 'nPositions'] as const) posInt(f);
  // Bounded before anything loops over layers or allocates (a config.json may say n_layer 1e9).
  checkLimit('layers', config.nLayer, 'model nLayer');
  checkLimit('width', config.dModel, 'model dModel');
  checkLimit('vocab', config.vocabSize, 'model vocabSize');
  checkLimit('positions', config.nPositions, 'model nPositions');
  if (config.dModel % config.nHead !== 0) {
    throw new ProcptError(
      'config',
      `model dModel ${config.dModel} is not divisible by nHead ${config.nHead}`,
    );
  }
  if (!(typeof config.dropout === 'number' && config.dropout >= 0 && config.dropout < 1)) {
    throw new ProcptError('config', `model dropout must be in [0, 1), got ${config.dropout}`);
  }
  if (
    !(
      typeof config.layerNormEpsilon === 'number' &&
      Number.isFinite(config.layerNormEpsilon) &&
      config.layerNormEpsilon > 0
    )
  ) {
    throw new ProcptError('config', `model layerNormEpsilon must be > 0, got ${config.layerNormEpsilon}`);
  }
  if (
    !(
      typeof config.initializerRange === 'number' &&
      Number.isFinite(config.initializerRange) &&
      config.initializerRange > 0
    )
  ) {
    throw new ProcptError('config', `model initializerRange must be > 0, got ${config.initializerRange}`);
  }
  if (typeof config.tied !== 'boolean') {
    throw new ProcptError('config', `model tied must be a boolean, got ${String(config.tied)}`);
  }
  return config;
}

/** The size key `nLayer_nHead_dModel` of a config. */
export function sizeKey(config: GptConfig): string {
  return `${config.nLayer}_${config.nHead}_${config.dModel}`;
}

/** Number of trainable parameters (HF `num_parameters()`: a tied head counts once). */
export function parameterCount(config: GptConfig): number {
  const d = config.dModel;
  const perBlock = 2 * d + (d * 3 * d + 3 * d) + (d * d + d) + 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);
  const embed = config.vocabSize * d + config.nPositions * d;
  const head = config.tied ? 0 : config.vocabSize * d;
  return embed + config.nLayer * perBlock + 2 * d + head;
}

/**
 * Training FLOPs per token at context length `contextLength`: 6N + 12·L·d·T (the PaLM/Chinchilla
 * estimate: 6 FLOPs per parameter for forward+backward plus attention scores and mixing).
 */
export function flopsPerToken(config: GptConfig, contextLength: number): number {
  return 6 * parameterCount(config) + 12 * config.nLayer * config.dModel * contextLength;
}

/** Bytes per float32 value. */
const F32 = 4;

/**
 * Memory to build a model, in bytes, without allocating anything: its float32 weights plus one
 * transient copy (initial values or loaded tensors are held while each variable is created). The
 * weight part is the `state` unit of trainer-gpu's training estimate, so both agree.
 */
export function estimateModelMemory(config: GptConfig): {
  parameters: number;
  weights: number;
  total: number;
} {
  const parameters = parameterCount(config);
  const weights = parameters * F32;
  return { parameters, weights, total: 2 * weights };
}

/**
 * Throws a `config` ProcptError, before anything is allocated, when building `config` needs more
 * than `limitBytes` (default: the `memory` limit, `PROCPT_MEMORY_LIMIT_MB` or the machine's free
 * memory). `where` names the command or file the config came from.
 */
export function assertModelFits(
  config: GptConfig,
  where: string,
  limit: number = limitBytes('memory'),
): void {
  const estimate = estimateModelMemory(config);
  if (estimate.total <= limit) return;
  throw new ProcptError(
    'config',
    `${where}: model ${sizeKey(config)} (vocab ${config.vocabSize}, positions ${config.nPositions}) has ${estimate.parameters.toExponential(2)} parameters and needs about ${formatBytes(estimate.total)} to build, over the ${formatBytes(limit)} memory limit`,
    { hint: `choose a smaller size, vocabulary or context; ${raiseHint('memory')}` },
  );
}

/** HF `GPT2Config` JSON (`config.json`) for a config. */
export function toHfConfig(config: GptConfig): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    activation_function: 'gelu_new',
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.dModel,
    n_inner: null,
    vocab_size: config.vocabSize,
    n_positions: config.nPositions,
    n_ctx: config.nPositions,
    layer_norm_epsilon: config.layerNormEpsilon,
    initializer_range: config.initializerRange,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    tie_word_embeddings: config.tied,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    use_cache: true,
    torch_dtype: 'float32',
  };
}

/**
 * Reads an HF GPT-2 `config.json` object. Rejects features this implementation does not have
 * (another activation, a non-4d MLP, inverse-layer-index attention scaling). `where` names the file.
 */
export function fromHfConfig(json: unknown, where: string): GptConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ProcptError('corrupt', `${where}: expected a JSON object`);
  }
  const j = json as Record<string, unknown>;
  if (j.model_type !== undefined && j.model_type !== 'gpt2') {
    throw new ProcptError('config', `${where}: model_type ${JSON.stringify(j.model_type)} is not gpt2`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = j[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ProcptError('corrupt', `${where}: field ${key} must be a number, got ${formatValue(v)}`);
    }
    return v;
  };
  const activation = j.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new') {
    throw new ProcptError(
      'config',
      `${where}: activation_function ${JSON.stringify(activation)} unsupported`,
      {
        hint: 'procpt implements GPT-2 with gelu_new only',
      },
    );
  }
  const d = num('n_embd');
  if (j.n_inner != null && j.n_inner !== 4 * d) {
    throw new ProcptError('config', `${where}: n_inner ${String(j.n_inner)} unsupported (only 4·n_embd)`);
  }
  if (j.scale_attn_by_inverse_layer_idx === true || j.scale_attn_weights === false) {
    throw new ProcptError('config', `${where}: non-default attention scaling is unsupported`);
  }
  const config: GptConfig = {
    nLayer: num('n_layer'),
    nHead: num('n_head'),
    dModel: d,
    vocabSize: num('vocab_size'),
    nPositions: num('n_positions'),
    tied: j.tie_word_embeddings === undefined ? true : j.tie_word_embeddings === true,
    // HF has three dropout rates; GPT-2 checkpoints use one value for all, we keep resid_pdrop.
    dropout: num('resid_pdrop', 0.1),
    layerNormEpsilon: num('layer_norm_epsilon', 1e-5),
    initializerRange: num('initializer_range', 0.02),
  };
  try {
    return validateConfig(config);
  } catch (error) {
    const hint = (error as ProcptError).hint;
    throw new ProcptError('config', `${where}: ${(error as Error).message}`, {
      cause: error,
      ...(hint === undefined ? {} : { hint }),
    });
  }
}
