import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Gpt } from './gpt.js';
import { type ParameterGroup, parameterGroup } from './names.js';

/** The transferable components (the paper's `weights_to_be_transferred`). */
export type TransferPart = 'everything' | 'attn' | 'ffn' | 'ln';

/**
 * What to copy from a source model into a target (the paper's `downstream/utils.py` protocol).
 * - `parts`: `everything` = every block tensor and `ln_f` (no embeddings); `attn` = `attn.c_attn`
 *   and `attn.c_proj` (weights, biases); `ffn` = `mlp.*`; `ln` = `ln_1`, `ln_2`, `ln_f`.
 * - `embeddingInit`: `average` sets every row of the target's `wte` (and `lm_head` when untied)
 *   to the mean of the source's `wte` rows; `retain` copies the source's `wte` into `wte` (and
 *   `lm_head`), vocabularies must match; `random` keeps the target's own init. With `average` and
 *   `retain`, `wpe` is handled as the paper does: the target's first nPositions rows are copied
 *   when the source context is at least as long, otherwise `wpe` keeps its random init.
 */
export interface TransferSpec {
  parts: TransferPart[];
  embeddingInit: 'average' | 'retain' | 'random';
}

function partGroups(parts: TransferPart[]): Set<ParameterGroup> {
  const groups = new Set<ParameterGroup>();
  for (const part of parts) {
    if (part === 'everything') {
      groups.add('attn').add('ffn').add('ln');
    } else if (part === 'attn' || part === 'ffn' || part === 'ln') {
      groups.add(part);
    } else {
      throw new ProcptError('usage', `unknown transfer part ${JSON.stringify(part)}`, {
        hint: 'use everything, attn, ffn or ln',
      });
    }
  }
  return groups;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** One planned copy: target parameter ← source parameter. */
interface Copy {
  name: string;
  source: Gpt;
}

function planBlockCopies(
  sources: Array<[Gpt, Set<ParameterGroup>]>,
  target: Gpt,
  problems: string[],
): Copy[] {
  const copies: Copy[] = [];
  for (const [source, groups] of sources) {
    if (groups.size === 0) continue;
    for (const [name, tv] of target.params) {
      const group = parameterGroup(name);
      if (group === 'embed' || !groups.has(group)) continue;
      const sv = source.params.get(name);
      if (!sv) {
        problems.push(`${name}: absent in the source (source has ${source.config.nLayer} layers)`);
      } else if (!sameShape(sv.shape, tv.shape)) {
        problems.push(`${name}: source [${sv.shape}] vs target [${tv.shape}]`);
      } else {
        copies.push({ name, source });
      }
    }
  }
  return copies;
}

function checkEmbedding(
  source: Gpt,
  target: Gpt,
  init: TransferSpec['embeddingInit'],
  problems: string[],
): void {
  if (init === 'random') return;
  if (init !== 'average' && init !== 'retain') {
    throw new ProcptError('usage', `unknown embeddingInit ${JSON.stringify(init)}`, {
      hint: 'use average, retain or random',
    });
  }
  if (source.config.dModel !== target.config.dModel) {
    problems.push(
      `transformer.wte.weight: source dModel ${source.config.dModel} vs target ${target.config.dModel}`,
    );
  }
  if (init === 'retain' && source.config.vocabSize !== target.config.vocabSize) {
    problems.push(
      `transformer.wte.weight: 'retain' needs equal vocabularies (source ${source.config.vocabSize}, target ${target.config.vocabSize})`,
    );
  }
}

function applyEmbedding(source: Gpt, target: Gpt, init: 'average' | 'retain'): void {
  const { vocabSize, nPositions, dModel } = target.config;
  const headRows = (rows: tf.Tensor2D) => {
    target.param('transformer.wte.weight').assign(rows);
    if (!target.config.tied) target.param('lm_head.weight').assign(rows);
  };
  tf.tidy(() => {
    const wte = source.param('transformer.wte.weight');
    if (init === 'average') {
      headRows(tf.tile(tf.mean(wte, 0, true), [vocabSize, 1]) as tf.Tensor2D);
    } else {
      headRows(wte as tf.Tensor2D);
    }
    // paper: copy the first n_positions rows only when the source context is at least as long
    if (source.config.nPositions >= nPositions) {
      target
        .param('transformer.wpe.weight')
        .assign(tf.slice(source.param('transformer.wpe.weight'), [0, 0], [nPositions, dModel]));
    }
  });
}

/**
 * Copies weights from `source` into `target` in place, as the paper's transfer protocol (see
 * {@link TransferSpec}). Checks every shape first and, if any differ, throws one `config` error
 * listing each mismatch without touching the target. Paper configurations map to: algorithmic
 * fine-tuning `{parts: ['everything'], embeddingInit: 'average'}`; semantic pretraining
 * `{parts: ['attn', 'ffn', 'ln'], embeddingInit: 'random'}`; attention-only `{parts: ['attn'],
 * embeddingInit: 'random'}`.
 */
export function transfer(source: Gpt, target: Gpt, spec: TransferSpec): void {
  const problems: string[] = [];
  const copies = planBlockCopies([[source, partGroups(spec.parts)]], target, problems);
  checkEmbedding(source, target, spec.embeddingInit, problems);
  throwIfProblems(problems);
  runCopies(copies, target);
  if (spec.embeddingInit !== 'random') applyEmbedding(source, target, spec.embeddingInit);
}

/** Sources by part for {@link assemble}: the paper's weight-mixture experiment. */
export interface AssemblySpec {
  attn?: Gpt;
  ffn?: Gpt;
  ln?: Gpt;
  /** Where the token/position embeddings come from (with `embeddingInit`); default: none. */
  embeddings?: { source: Gpt; init: 'average' | 'retain' };
}

/**
 * Builds one model from several sources by part, e.g. `assemble({attn: setModel, ffn: ecaModel,
 * ln: setModel}, target)`, in place. All shapes are checked first; mismatches across every
 * source are reported in one error.
 */
export function assemble(spec: AssemblySpec, target: Gpt): void {
  const problems: string[] = [];
  const sources: Array<[Gpt, Set<ParameterGroup>]> = [];
  for (const part of ['attn', 'ffn', 'ln'] as const) {
    const source = spec[part];
    if (source) sources.push([source, new Set([part])]);
  }
  if (sources.length === 0 && !spec.embeddings) {
    throw new ProcptError('usage', 'assemble needs at least one of attn, ffn, ln or embeddings');
  }
  const copies = planBlockCopies(sources, target, problems);
  if (spec.embeddings) checkEmbedding(spec.embeddings.source, target, spec.embeddings.init, problems);
  throwIfProblems(problems);
  runCopies(copies, target);
  if (spec.embeddings) applyEmbedding(spec.embeddings.source, target, spec.embeddings.init);
}

function throwIfProblems(problems: string[]): void {
  if (problems.length === 0) return;
  throw new ProcptError(
    'config',
    `cannot transfer weights, ${problems.length} mismatch(es): ${problems.join('; ')}`,
    {
      hint: 'source and target must share nLayer, nHead and dModel for the transferred parts',
    },
  );
}

function runCopies(copies: Copy[], target: Gpt): void {
  for (const { name, source } of copies) target.param(name).assign(source.param(name));
}

/**
 * Names of the parameters to train (the paper's `weights_to_be_trained`), in the model's fixed
 * order: all of them for `'all'`, else those whose group is listed. Pass the matching variables
 * as the optimizer's var list to freeze the rest.
 */
export function trainableNames(model: Gpt, trainable: ParameterGroup[] | 'all'): string[] {
  const names = [...model.params.keys()];
  if (trainable === 'all') return names;
  for (const g of trainable) {
    if (!['attn', 'ffn', 'ln', 'embed'].includes(g)) {
      throw new ProcptError('usage', `unknown parameter group ${JSON.stringify(g)}`, {
        hint: 'use attn, ffn, ln or embed',
      });
    }
  }
  return names.filter((n) => trainable.includes(parameterGroup(n)));
}
