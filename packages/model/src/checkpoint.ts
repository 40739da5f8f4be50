import { createHash } from 'node:crypto';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ProcptError,
  formatValue,
  prepareOutput,
  readFileLimited,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@procpt/core';
import type * as tf from '@tensorflow/tfjs-core';
import {
  assertModelFits,
  estimateModelMemory,
  fromHfConfig,
  type GptConfig,
  toHfConfig,
  validateConfig,
} from './config.js';
import { Gpt } from './gpt.js';
import { canonicalName, parameterSpecs } from './names.js';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from './safetensors.js';

/** procpt's own checkpoint metadata (`procpt.json` → `meta`). */
export interface CheckpointMeta {
  /** Training step the weights belong to. */
  step?: number;
  /** Description of the data the model was trained on (a DataSpec). */
  data?: unknown;
  /** Tokenizer JSON (`Tokenizer.toJSON()`). */
  tokenizer?: unknown;
  [k: string]: unknown;
}

/** Options of {@link saveCheckpoint}. */
export interface SaveOptions {
  /** File name of the extra tensors (default `optimizer.safetensors`). */
  extraFile?: string;
  /**
   * Replace an existing file or folder at `dir` that is not a procpt checkpoint (default false: a
   * `usage` ProcptError, and nothing is touched).
   */
  force?: boolean;
}

/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = {
  weights: 'model.safetensors',
  config: 'config.json',
  procpt: 'procpt.json',
  extra: 'optimizer.safetensors',
} as const;

const FORMAT = 'procpt-checkpoint';

interface ProcptJson {
  format: typeof FORMAT;
  version: 1;
  config: GptConfig;
  meta: CheckpointMeta;
  files: Record<string, { bytes: number; sha256: string }>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function toRaw(tensor: tf.Tensor): Promise<RawTensor> {
  const data = await tensor.data();
  if (data instanceof Float32Array) return { dtype: 'F32', shape: tensor.shape, data };
  if (data instanceof Int32Array) return { dtype: 'I32', shape: tensor.shape, data };
  if (data instanceof Uint8Array) return { dtype: 'U8', shape: tensor.shape, data };
  throw new ProcptError('usage', `cannot store a ${tensor.dtype} tensor in a checkpoint`);
}

/** True when `dir` is a checkpoint folder written by procpt (its `procpt.json` says so). */
export async function isProcptCheckpoint(dir: string): Promise<boolean> {
  try {
    const json = JSON.parse(await readFile(join(dir, CHECKPOINT_FILES.procpt), 'utf8')) as {
      format?: unknown;
    };
    return json.format === FORMAT;
  } catch {
    return false;
  }
}

/**
 * Checks that a checkpoint may be written at `dir` (see `prepareOutput` of @procpt/core): absent,
 * empty or a procpt checkpoint; anything else (someone's folder, a file, a link) only with `force`;
 * device nodes, FIFOs and `/proc`, `/sys`, `/dev` never. Call it before expensive work; {@link saveCheckpoint}
 * checks again.
 */
export async function checkCheckpointOutput(dir: string, options: { force?: boolean } = {}): Promise<void> {
  await prepareOutput(dir, {
    kind: 'folder',
    force: options.force === true,
    owned: isProcptCheckpoint,
    what: 'checkpoint',
  });
}

/**
 * Saves a model as a directory, atomically (temp dir + rename): `model.safetensors` (HF names,
 * F32, `__metadata__.format = "pt"` so HF `from_pretrained` accepts it), `config.json` (HF
 * `GPT2Config`), optionally `optimizer.safetensors` with `extraTensors` (e.g. AdamW moments), and
 * `procpt.json` with the config, `meta` and the sha256 of every other file. The old checkpoint at
 * `dir` is replaced only once the new one is complete; a folder that is not a procpt checkpoint is
 * refused unless `options.force` ({@link checkCheckpointOutput}).
 */
export async function saveCheckpoint(
  dir: string,
  model: Gpt,
  meta: CheckpointMeta = {},
  extraTensors?: Record<string, tf.Tensor>,
  options: SaveOptions = {},
): Promise<void> {
  const weights: Record<string, RawTensor> = {};
  for (const [name, v] of model.params) weights[name] = await toRaw(v);
  const files = new Map<string, Uint8Array>();
  files.set(CHECKPOINT_FILES.weights, encodeSafetensors(weights, { format: 'pt' }));
  files.set(
    CHECKPOINT_FILES.config,
    new TextEncoder().encode(`${JSON.stringify(toHfConfig(model.config), null, 2)}\n`),
  );
  if (extraTensors && Object.keys(extraTensors).length > 0) {
    const extra: Record<string, RawTensor> = {};
    for (const [name, t] of Object.entries(extraTensors)) extra[name] = await toRaw(t);
    files.set(options.extraFile ?? CHECKPOINT_FILES.extra, encodeSafetensors(extra, { format: 'procpt' }));
  }
  const manifest: ProcptJson = {
    format: FORMAT,
    version: 1,
    config: model.config,
    meta,
    files: Object.fromEntries(
      [...files].map(([name, bytes]) => [name, { bytes: bytes.length, sha256: sha256(bytes) }]),
    ),
  };
  await writeDirAtomic(
    dir,
    async (tmp) => {
      for (const [name, bytes] of files) await writeFileAtomic(join(tmp, name), bytes);
      await writeJsonAtomic(join(tmp, CHECKPOINT_FILES.procpt), manifest);
    },
    { force: options.force === true, owned: isProcptCheckpoint, what: 'checkpoint' },
  );
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new ProcptError('io', `cannot read ${path}: ${(error as Error).message}`, {
      hint: 'is this a checkpoint directory (model.safetensors + config.json)?',
      cause: error,
    });
  }
}

/** A JSON file of a checkpoint (config.json, procpt.json), size-bounded by the `json` limit. */
async function readSmallFile(path: string): Promise<Uint8Array> {
  return readFileLimited(path, path, { code: 'corrupt' }).catch((error: unknown) => {
    if (error instanceof ProcptError && error.code === 'io') {
      throw new ProcptError('io', error.message, {
        hint: 'is this a checkpoint directory (model.safetensors + config.json)?',
        cause: error,
      });
    }
    throw error;
  });
}

function parseJson(path: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ProcptError('corrupt', `${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Reads `procpt.json` if present (undefined for a plain HF checkpoint), checking every field it
 * relies on; a damaged manifest is a `corrupt` error that names the file and the field.
 */
async function readManifest(dir: string): Promise<ProcptJson | undefined> {
  const path = join(dir, CHECKPOINT_FILES.procpt);
  if (!(await exists(path))) return undefined;
  const json = parseJson(path, await readSmallFile(path));
  const bad = (what: string) =>
    new ProcptError('corrupt', `${path}: ${what}`, {
      hint: 'the checkpoint manifest is damaged; re-save the checkpoint, or delete procpt.json to read it as a plain HF checkpoint',
    });
  if (!isObject(json) || json.format !== FORMAT || json.version !== 1) {
    throw bad('not a version-1 procpt checkpoint manifest');
  }
  if (!isObject(json.files)) throw bad(`files must be an object, got ${formatValue(json.files)}`);
  for (const [name, entry] of Object.entries(json.files)) {
    if (
      !isObject(entry) ||
      !Number.isSafeInteger(entry.bytes) ||
      (entry.bytes as number) < 0 ||
      typeof entry.sha256 !== 'string'
    ) {
      throw bad(`files.${name} must be {bytes, sha256}, got ${formatValue(entry)}`);
    }
  }
  if (json.meta !== undefined && !isObject(json.meta)) {
    throw bad(`meta must be an object, got ${formatValue(json.meta)}`);
  }
  try {
    validateConfig(json.config as GptConfig);
  } catch (error) {
    throw bad(`config: ${(error as Error).message}`);
  }
  return { ...(json as unknown as ProcptJson), meta: (json.meta ?? {}) as CheckpointMeta };
}

function verify(manifest: ProcptJson | undefined, dir: string, name: string, bytes: Uint8Array): void {
  const entry = manifest?.files[name];
  if (!entry) return;
  if (entry.bytes !== bytes.length || entry.sha256 !== sha256(bytes)) {
    throw new ProcptError(
      'corrupt',
      `${join(dir, name)} does not match its checksum in procpt.json (${bytes.length} bytes, expected ${entry.bytes})`,
      { hint: 'the file was truncated or modified after saving' },
    );
  }
}

/**
 * Refuses a weights file far larger than its config implies before reading it whole: at most
 * 8 bytes per parameter (F64, I64) plus room for the header and HF's attention buffers.
 */
async function checkWeightsSize(path: string, config: GptConfig): Promise<void> {
  const size = await stat(path).then(
    (s) => s.size,
    () => undefined, // missing: readBytes reports it
  );
  const { parameters } = estimateModelMemory(config);
  const buffers = config.nLayer * config.nPositions * config.nPositions * 8;
  const max = 8 * parameters + buffers + 100_000_000 + 8;
  if (size !== undefined && size > max) {
    throw new ProcptError(
      'corrupt',
      `${path} has ${size} bytes, more than the ${max} its config.json allows (${parameters} parameters)`,
      { hint: 'the weights and config.json belong to different models' },
    );
  }
}

/** Index of the first NaN or ±Infinity in `data`, or -1. */
function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    // x - x is NaN exactly for NaN and ±Infinity
    const x = data[i] as number;
    if (x - x !== 0) return i;
  }
  return -1;
}

/**
 * Reads and checks the config of a checkpoint directory (procpt or HF GPT-2). The file is
 * size-bounded and every field range-checked (limits included) before anything uses it.
 */
export async function readCheckpointConfig(dir: string): Promise<GptConfig> {
  const path = join(dir, CHECKPOINT_FILES.config);
  const bytes = await readSmallFile(path);
  verify(await readManifest(dir), dir, CHECKPOINT_FILES.config, bytes);
  return fromHfConfig(parseJson(path, bytes), path);
}

/**
 * Loads a checkpoint directory written by {@link saveCheckpoint} or by HF `save_pretrained` for
 * GPT-2 (`model.safetensors` with or without the `transformer.` prefix; `attn.bias` /
 * `attn.masked_bias` buffers are ignored; an `lm_head.weight` in a tied model is ignored). Verifies
 * checksums, shapes and completeness, naming the tensor and file on failure. A model beyond the
 * `memory` limit is refused before its weights are read; a NaN or infinite weight is a `data` error.
 */
export async function loadCheckpoint(dir: string): Promise<{ model: Gpt; meta: CheckpointMeta }> {
  const manifest = await readManifest(dir);
  const config = await readCheckpointConfig(dir);
  const path = join(dir, CHECKPOINT_FILES.weights);
  // Refused before the weights are read when the model cannot fit (e.g. a config.json edited up).
  assertModelFits(config, join(dir, CHECKPOINT_FILES.config));
  await checkWeightsSize(path, config);
  const bytes = await readBytes(path);
  verify(manifest, dir, CHECKPOINT_FILES.weights, bytes);
  const { tensors } = decodeSafetensors(bytes, path);
  const expected = new Map(parameterSpecs(config).map((s) => [s.name, s.shape]));
  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const [stored, raw] of tensors) {
    const name = canonicalName(stored);
    if (name === undefined) continue;
    const shape = expected.get(name);
    if (!shape) {
      if (name === 'lm_head.weight' && config.tied) continue; // tied head saved explicitly
      problems.push(`unexpected tensor ${stored}`);
      continue;
    }
    if (shape.length !== raw.shape.length || shape.some((d, i) => d !== raw.shape[i])) {
      problems.push(`tensor ${stored} has shape [${raw.shape}], config.json implies [${shape}]`);
      continue;
    }
    if (!(raw.data instanceof Float32Array)) {
      problems.push(`tensor ${stored} has integer dtype ${raw.dtype}`);
      continue;
    }
    const bad = firstNonFinite(raw.data);
    if (bad >= 0) {
      throw new ProcptError(
        'data',
        `${path}: tensor ${stored} holds a non-finite value (${raw.data[bad]}) at index ${bad}`,
        { hint: 'the weights were saved after training diverged; use an earlier checkpoint' },
      );
    }
    weights.set(name, raw.data);
  }
  for (const name of expected.keys()) if (!weights.has(name)) problems.push(`missing tensor ${name}`);
  if (problems.length > 0) {
    throw new ProcptError('corrupt', `${path}: ${problems.join('; ')}`, {
      hint: 'the weights do not match config.json',
    });
  }
  return { model: Gpt.fromWeights(config, weights, path), meta: manifest?.meta ?? {} };
}

/**
 * Reads the extra tensors saved with a checkpoint (default `optimizer.safetensors`) as raw typed
 * arrays (no tfjs tensors are created), or `undefined` when the file is absent.
 */
export async function loadCheckpointExtras(
  dir: string,
  file: string = CHECKPOINT_FILES.extra,
): Promise<Map<string, RawTensor> | undefined> {
  const path = join(dir, file);
  if (!(await exists(path))) return undefined;
  const bytes = await readBytes(path);
  verify(await readManifest(dir), dir, file, bytes);
  return decodeSafetensors(bytes, path).tensors;
}

/** What a checkpoint directory holds, read without loading any weights. */
export interface CheckpointInfo {
  config: GptConfig;
  meta: CheckpointMeta;
  /** Files listed in `procpt.json` with sizes and sha256 (empty for a plain HF checkpoint). */
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Reads config, meta and the file list of a checkpoint (no tensors, no backend needed). */
export async function readCheckpointInfo(dir: string): Promise<CheckpointInfo> {
  const manifest = await readManifest(dir);
  return {
    config: await readCheckpointConfig(dir),
    meta: manifest?.meta ?? {},
    files: manifest?.files ?? {},
  };
}
