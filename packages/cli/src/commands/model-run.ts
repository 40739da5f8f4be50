import { stat } from 'node:fs/promises';
import { ProcptError, formatValue, readLinesLimited, readTextFileLimited } from '@procpt/core';
import {
  assertModelFits,
  checkCheckpointOutput,
  flopsPerToken,
  fromHfConfig,
  Gpt,
  type GptConfig,
  gptConfig,
  loadCheckpoint,
  type ParameterGroup,
  parameterCount,
  parameterGroup,
  parameterSpecs,
  readCheckpointConfig,
  readCheckpointInfo,
  saveCheckpoint,
  sizeKey,
  type TransferPart,
  type TransferSpec,
  transfer,
} from '@procpt/model';
import { type BackendPreference, selectBackend } from '@procpt/trainer-gpu';
import type { CliContext } from '../context.js';

type BackendName = BackendPreference;

/** Activates a tfjs backend through trainer-gpu's selection (the one place that picks backends). */
async function useBackend(name: BackendName): Promise<void> {
  await selectBackend(name);
}

/** The model-shape flags of `model init` and `model transfer`. */
export interface ShapeFlags {
  size?: string;
  vocab?: number;
  positions?: number;
  untied?: boolean;
  dropout?: number;
}

function configFromFlags(flags: ShapeFlags, command: string): GptConfig {
  if (!flags.size || flags.vocab === undefined || flags.positions === undefined) {
    throw new ProcptError('usage', `${command} needs --size, --vocab and --positions`, {
      hint: 'e.g. --size 2_4_16 --vocab 102 --positions 129',
    });
  }
  return gptConfig(flags.size, {
    vocabSize: flags.vocab,
    nPositions: flags.positions,
    tied: !flags.untied,
    ...(flags.dropout === undefined ? {} : { dropout: flags.dropout }),
  });
}

function describeConfig(c: GptConfig): string {
  return `${sizeKey(c)} (nLayer ${c.nLayer}, nHead ${c.nHead}, dModel ${c.dModel}), vocab ${c.vocabSize}, positions ${c.nPositions}, ${c.tied ? 'tied' : 'untied'} head, dropout ${c.dropout}`;
}

function groupCounts(c: GptConfig): Record<ParameterGroup, number> {
  const counts: Record<ParameterGroup, number> = { attn: 0, ffn: 0, ln: 0, embed: 0 };
  for (const s of parameterSpecs(c)) counts[parameterGroup(s.name)] += s.shape.reduce((a, b) => a * b, 1);
  return counts;
}

async function targetConfig(opts: ShapeFlags & { toConfig?: string }): Promise<GptConfig> {
  if (!opts.toConfig) return configFromFlags(opts, 'model transfer');
  const isDir = await stat(opts.toConfig).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (isDir) return readCheckpointConfig(opts.toConfig);
  const text = await readTextFileLimited(opts.toConfig, `--to-config ${opts.toConfig}`, { code: 'usage' });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProcptError('usage', `--to-config ${opts.toConfig}: ${(error as Error).message}`, {
      hint: 'pass an HF GPT-2 config.json or a checkpoint directory',
    });
  }
  return fromHfConfig(json, opts.toConfig);
}

function parseParts(raw: string): TransferPart[] {
  const parts = raw.split(',').map((s) => s.trim());
  for (const p of parts) {
    if (!['everything', 'attn', 'ffn', 'ln'].includes(p)) {
      throw new ProcptError('usage', `--parts: unknown part ${JSON.stringify(p)}`, {
        hint: 'use everything, attn, ffn, ln',
      });
    }
  }
  return parts as TransferPart[];
}

/** The flags of `procpt model init`. */
export type InitFlags = ShapeFlags & { seed: number; out: string; force?: boolean };

/** The action of `procpt model init`. */
export async function modelInit(ctx: CliContext, opts: InitFlags): Promise<void> {
  const config = configFromFlags(opts, 'model init');
  assertModelFits(config, 'model init'); // before a backend loads or anything is allocated
  const force = opts.force === true;
  await checkCheckpointOutput(opts.out, { force });
  await useBackend('cpu');
  const gpt = Gpt.create(config, { seed: opts.seed, where: 'model init' });
  await saveCheckpoint(opts.out, gpt, { step: 0, init: { seed: opts.seed } }, undefined, { force });
  gpt.dispose();
  ctx.result(
    { out: opts.out, config, parameters: parameterCount(config) },
    () =>
      `wrote ${opts.out}: ${describeConfig(config)}, ${parameterCount(config).toLocaleString('en-US')} parameters`,
  );
}

/** The action of `procpt model info`. */
export async function modelInfo(ctx: CliContext, dir: string): Promise<void> {
  const info = await readCheckpointInfo(dir);
  const c = info.config;
  const parts = groupCounts(c);
  const value = {
    dir,
    config: c,
    parameters: parameterCount(c),
    flopsPerToken: flopsPerToken(c, c.nPositions),
    parts,
    meta: info.meta,
    files: info.files,
  };
  ctx.result(value, () =>
    [
      `${dir}: GPT-2 ${describeConfig(c)}`,
      `parameters: ${value.parameters.toLocaleString('en-US')} (attn ${parts.attn}, ffn ${parts.ffn}, ln ${parts.ln}, embed ${parts.embed})`,
      `FLOPs/token at T=${c.nPositions}: ${value.flopsPerToken.toExponential(3)}`,
      `meta: ${JSON.stringify(info.meta)}`,
    ].join('\n'),
  );
}

/** The flags of `procpt model transfer`. */
export type TransferFlags = ShapeFlags & {
  from: string;
  toConfig?: string;
  parts: string;
  embeddingInit: string;
  seed: number;
  out: string;
  force?: boolean;
};

/** The action of `procpt model transfer`. */
export async function modelTransfer(ctx: CliContext, opts: TransferFlags): Promise<void> {
  const init = opts.embeddingInit;
  if (init !== 'average' && init !== 'retain' && init !== 'random') {
    throw new ProcptError(
      'usage',
      `--embedding-init must be average, retain or random, got ${JSON.stringify(init)}`,
    );
  }
  const spec: TransferSpec = { parts: parseParts(opts.parts), embeddingInit: init };
  const config = await targetConfig(opts);
  assertModelFits(config, 'model transfer (target)');
  const force = opts.force === true;
  await checkCheckpointOutput(opts.out, { force });
  await useBackend('cpu');
  const { model: source } = await loadCheckpoint(opts.from);
  let target: Gpt;
  try {
    target = Gpt.create(config, { seed: opts.seed, where: 'model transfer (target)' });
  } catch (error) {
    source.dispose();
    throw error;
  }
  try {
    transfer(source, target, spec);
    await saveCheckpoint(
      opts.out,
      target,
      { step: 0, transfer: { from: opts.from, ...spec, seed: opts.seed } },
      undefined,
      { force },
    );
  } finally {
    source.dispose();
    target.dispose();
  }
  ctx.result(
    { out: opts.out, from: opts.from, ...spec, config },
    () =>
      `wrote ${opts.out}: ${spec.parts.join('+')} from ${opts.from}, embeddings ${spec.embeddingInit}; ${describeConfig(config)}`,
  );
}

interface JsonlSample {
  tokens: Int32Array;
  loss: Uint8Array;
}

/**
 * Reads `{"tokens": [...], "loss": [...]}` JSON Lines, streamed with a bounded line length. Every
 * token must be an id of the model's vocabulary and every loss-mask value 0 or 1: anything else is
 * a `data` error naming file and line (a mask of `2` or `"x"` would otherwise skew or NaN the loss).
 */
async function readSamples(path: string, vocab: number): Promise<JsonlSample[]> {
  const samples: JsonlSample[] = [];
  for await (const { text: line, line: number } of readLinesLimited(path)) {
    if (line.trim() === '') continue;
    const where = `${path}:${number}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new ProcptError('data', `${where}: not valid JSON`);
    }
    const { tokens, loss } = (typeof row === 'object' && row !== null ? row : {}) as {
      tokens?: unknown;
      loss?: unknown;
    };
    if (!Array.isArray(tokens) || !Array.isArray(loss) || tokens.length !== loss.length) {
      throw new ProcptError('data', `${where}: expected {"tokens": [...], "loss": [...]} of equal length`);
    }
    const bad = tokens.findIndex((t) => !Number.isInteger(t) || t < 0 || t >= vocab);
    if (bad >= 0) {
      throw new ProcptError(
        'data',
        `${where}: token ${formatValue(tokens[bad])} at ${bad} is outside the model vocabulary [0, ${vocab})`,
      );
    }
    const badMask = loss.findIndex((x) => x !== 0 && x !== 1);
    if (badMask >= 0) {
      throw new ProcptError(
        'data',
        `${where}: loss-mask value ${formatValue(loss[badMask])} at ${badMask} is not 0 or 1`,
        { hint: 'the loss mask marks scored targets with 1 and the rest with 0' },
      );
    }
    samples.push({ tokens: Int32Array.from(tokens as number[]), loss: Uint8Array.from(loss as number[]) });
  }
  if (samples.length === 0) throw new ProcptError('data', `${path} has no samples`);
  return samples;
}

/** The flags of `procpt eval loss`. */
export interface LossFlags {
  checkpoint: string;
  data: string;
  batch: number;
  backend: BackendName;
}

/** The action of `procpt eval loss`. */
export async function evalLoss(ctx: CliContext, opts: LossFlags): Promise<void> {
  const config = await readCheckpointConfig(opts.checkpoint);
  const samples = await readSamples(opts.data, config.vocabSize);
  const tooLong = samples.findIndex((s) => s.tokens.length > config.nPositions);
  if (tooLong >= 0) {
    throw new ProcptError(
      'data',
      `${opts.data}:${tooLong + 1}: ${samples[tooLong]!.tokens.length} tokens exceed the model's ${config.nPositions} positions`,
    );
  }
  await useBackend(opts.backend);
  const tf = await import('@tensorflow/tfjs-core');
  const { model } = await loadCheckpoint(opts.checkpoint);
  let lossSum = 0;
  let count = 0;
  let correct = 0;
  try {
    for (let i = 0; i < samples.length; i += opts.batch) {
      const rows = samples.slice(i, i + opts.batch);
      const t = Math.max(2, ...rows.map((r) => r.tokens.length));
      const tok = new Int32Array(rows.length * t); // right-padded with 0; mask 0 there
      const mask = new Int32Array(rows.length * t);
      rows.forEach((r, b) => {
        tok.set(r.tokens, b * t);
        mask.set(r.loss, b * t);
      });
      const x = tf.tensor2d(tok, [rows.length, t], 'int32');
      const m = tf.tensor2d(mask, [rows.length, t], 'int32');
      const r = await model.evaluate(x, m);
      tf.dispose([x, m]);
      lossSum += r.lossSum;
      count += r.count;
      correct += r.correct;
    }
  } finally {
    model.dispose();
  }
  if (count === 0) throw new ProcptError('data', `${opts.data}: no scored targets (every loss mask is 0)`);
  if (!Number.isFinite(lossSum)) {
    throw new ProcptError('numeric', `loss of ${opts.checkpoint} on ${opts.data} is ${lossSum / count}`, {
      hint: 'the model overflows on this data; check the checkpoint',
    });
  }
  const value = {
    checkpoint: opts.checkpoint,
    data: opts.data,
    sequences: samples.length,
    tokens: count,
    loss: lossSum / count,
    accuracy: correct / count,
    backend: opts.backend,
  };
  ctx.result(
    value,
    () =>
      `loss ${value.loss.toFixed(4)}  accuracy ${(100 * value.accuracy).toFixed(2)}%  over ${count} scored tokens in ${samples.length} sequences`,
  );
}
