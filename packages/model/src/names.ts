import { ProcptError } from '@procpt/core';
import type { GptConfig } from './config.js';

/** The four parameter groups used for transfer and freezing (the paper's components). */
export type ParameterGroup = 'attn' | 'ffn' | 'ln' | 'embed';

/** How a parameter is initialised (HF `GPT2PreTrainedModel._init_weights`). */
export type InitKind = 'normal' | 'scaledNormal' | 'zeros' | 'ones';

/** Name, shape and init of one parameter. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  init: InitKind;
}

/**
 * Every parameter of a model in HF `state_dict` order: `transformer.wte.weight`,
 * `transformer.wpe.weight`, then per block `ln_1.{weight,bias}`, `attn.c_attn.{weight,bias}`,
 * `attn.c_proj.{weight,bias}`, `ln_2.{weight,bias}`, `mlp.c_fc.{weight,bias}`,
 * `mlp.c_proj.{weight,bias}`, then `transformer.ln_f.{weight,bias}` and, when untied,
 * `lm_head.weight`. Conv1D weights use HF's `[in, out]` layout; `lm_head.weight` is `[vocab, d]`.
 */
export function parameterSpecs(config: GptConfig): ParameterSpec[] {
  const d = config.dModel;
  const specs: ParameterSpec[] = [
    { name: 'transformer.wte.weight', shape: [config.vocabSize, d], init: 'normal' },
    { name: 'transformer.wpe.weight', shape: [config.nPositions, d], init: 'normal' },
  ];
  for (let i = 0; i < config.nLayer; i++) {
    const p = `transformer.h.${i}.`;
    specs.push(
      { name: `${p}ln_1.weight`, shape: [d], init: 'ones' },
      { name: `${p}ln_1.bias`, shape: [d], init: 'zeros' },
      { name: `${p}attn.c_attn.weight`, shape: [d, 3 * d], init: 'normal' },
      { name: `${p}attn.c_attn.bias`, shape: [3 * d], init: 'zeros' },
      { name: `${p}attn.c_proj.weight`, shape: [d, d], init: 'scaledNormal' },
      { name: `${p}attn.c_proj.bias`, shape: [d], init: 'zeros' },
      { name: `${p}ln_2.weight`, shape: [d], init: 'ones' },
      { name: `${p}ln_2.bias`, shape: [d], init: 'zeros' },
      { name: `${p}mlp.c_fc.weight`, shape: [d, 4 * d], init: 'normal' },
      { name: `${p}mlp.c_fc.bias`, shape: [4 * d], init: 'zeros' },
      { name: `${p}mlp.c_proj.weight`, shape: [4 * d, d], init: 'scaledNormal' },
      { name: `${p}mlp.c_proj.bias`, shape: [d], init: 'zeros' },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', shape: [d], init: 'ones' },
    { name: 'transformer.ln_f.bias', shape: [d], init: 'zeros' },
  );
  if (!config.tied) specs.push({ name: 'lm_head.weight', shape: [config.vocabSize, d], init: 'normal' });
  return specs;
}

/**
 * The group of an HF GPT-2 parameter name, following the paper's component patterns: `attn` =
 * `attn.c_attn` + `attn.c_proj`, `ffn` = `mlp.*`, `ln` = `ln_1`, `ln_2`, `ln_f`, `embed` = `wte`,
 * `wpe`, `lm_head`. Throws for a name that is none of these.
 */
export function parameterGroup(hfName: string): ParameterGroup {
  if (/(^|\.)(wte|wpe)\.weight$/.test(hfName) || hfName === 'lm_head.weight') return 'embed';
  if (/\.attn\.c_(attn|proj)\.(weight|bias)$/.test(hfName)) return 'attn';
  if (/\.mlp\.c_(fc|proj)\.(weight|bias)$/.test(hfName)) return 'ffn';
  if (/(^|\.)ln_(1|2|f)\.(weight|bias)$/.test(hfName)) return 'ln';
  throw new ProcptError('config', `${JSON.stringify(hfName)} is not a GPT-2 parameter name`);
}

/**
 * Canonical name of a tensor found in an HF checkpoint: adds the `transformer.` prefix that
 * `GPT2Model` checkpoints lack; returns `undefined` for non-parameter buffers (`attn.bias`,
 * `attn.masked_bias`) that we ignore.
 */
export function canonicalName(stored: string): string | undefined {
  if (/\.attn\.(bias|masked_bias)$/.test(stored)) return undefined;
  if (stored === 'lm_head.weight' || stored.startsWith('transformer.')) return stored;
  return `transformer.${stored}`;
}
