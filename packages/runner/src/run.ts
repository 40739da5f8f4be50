import { existsSync } from 'node:fs';
import { access, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  type FolderLock,
  LOCK_FILE,
  ProcptError,
  acquireFolderLock,
  ensureDir,
  prepareOutput,
  recoverOutputsSync,
  writeJsonAtomic,
} from '@procpt/core';
import {
  Gpt,
  type GptConfig,
  gptConfig,
  loadCheckpoint,
  parameterCount,
  readCheckpointConfig,
  saveCheckpoint,
  trainableNames,
  transfer,
} from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendPreference,
  type BackendReport,
  type ResumeState,
  type TrainResult,
  Trainer,
  assertFitsInMemory,
  assertFitsOnWebGpu,
  defaultMemoryLimit,
  estimateTrainingMemory,
  fusedOptimizerFor,
  latestCheckpoint,
  listCheckpoints,
  loadTrainCheckpoint,
  selectBackend,
} from '@procpt/trainer-gpu';
import { webGpuFusedActive } from '@procpt/trainer-gpu/internal';
import type { RunConfig } from './config.js';
import { type ResolvedData, resolveData } from './data.js';

/** Options of {@link runTraining}. */
export interface RunOptions {
  /** A checkpoint directory, or a run directory whose newest checkpoint is used. */
  resume?: string;
  /** Overrides `config.backend`. */
  backend?: BackendPreference;
  /** Abort (e.g. on SIGINT): checkpoint after the current step, then throw `interrupted`. */
  signal?: AbortSignal;
  /** Progress display on/off (default: `config.log.progress`). */
  progress?: boolean;
  /**
   * Start the run again in a folder that already holds one (finished, interrupted, or started
   * without a checkpoint): procpt's own files there (`config.resolved.json`, `metrics.jsonl`,
   * `checkpoints/`, `final/`, `best/`) are deleted first, nothing else. Without it such a folder is
   * refused (`usage`, exit 2) unless `resume` continues it.
   */
  force?: boolean;
  /** The lock of the run folder when the caller already holds it (the study does); else taken here. */
  lock?: FolderLock;
  /** Human status lines (backend, run directory, resume point). */
  onInfo?: (line: string) => void;
  onWarn?: (line: string) => void;
}

/** What procpt writes in a run folder; `--force` deletes exactly these. */
export const RUN_FILES = ['config.resolved.json', 'metrics.jsonl', 'checkpoints', 'final', 'best'] as const;

/** True when `dir` holds a procpt run (any of {@link RUN_FILES}, or its lock). */
export function isRunFolder(dir: string): boolean {
  return [...RUN_FILES, LOCK_FILE].some((f) => existsSync(join(dir, f)));
}

/**
 * Finishes what killed writers left in a run folder: half-replaced `final/`, `best/` and
 * checkpoints are put back under their names, stale temp files deleted. Call it holding the lock.
 */
export function recoverRunFolder(runDir: string): void {
  recoverOutputsSync(runDir);
  recoverOutputsSync(join(runDir, 'checkpoints'));
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith('/'));
}

/**
 * Refuses to start a run over an existing one: a finished run (`final/`), an interrupted one
 * (checkpoints) or one started without a checkpoint (metrics) needs `--resume` (append) or
 * `--force` (start again). Returns what `--force` will delete.
 */
async function checkRunFolder(runDir: string, name: string, options: RunOptions): Promise<string[]> {
  const present = RUN_FILES.filter((f) => existsSync(join(runDir, f)));
  if (present.length === 0) return [];
  if (options.resume && isInside(options.resume, runDir)) return [];
  if (options.force) return present;
  if (present.includes('final')) {
    throw new ProcptError('usage', `run ${name} is finished (${join(runDir, 'final')} exists)`, {
      hint: `use --resume ${runDir} to continue it or --force to start it again`,
    });
  }
  const last = (await listCheckpoints(join(runDir, 'checkpoints'))).at(-1);
  if (last) {
    throw new ProcptError(
      'usage',
      `run ${name} was interrupted at step ${last.step} (${join(runDir, 'checkpoints')})`,
      { hint: `resume it with --resume ${runDir}, or pass --force to start it again` },
    );
  }
  throw new ProcptError(
    'usage',
    `run ${name} was already started in ${runDir} (${present.join(', ')}) and has no checkpoint to resume`,
    { hint: 'pass --force to start it again, or choose another run name or outDir' },
  );
}

/** The outcome of {@link runTraining}. */
export interface TrainingRun {
  runDir: string;
  finalDir: string;
  /** `<run>/best/`, the weights of the best evaluation, when `checkpoint.best` is set. */
  bestDir?: string;
  backend: BackendReport;
  model: GptConfig;
  parameters: number;
  trainable: number;
  result: TrainResult;
}

async function isCheckpointDir(dir: string): Promise<boolean> {
  return access(join(dir, 'procpt.json')).then(
    () => true,
    () => false,
  );
}

/** Resolves `--resume`: a checkpoint directory itself, or a run directory's newest checkpoint. */
export async function resolveResumePath(path: string): Promise<string> {
  if (await isCheckpointDir(path)) return path;
  const latest = await latestCheckpoint(join(path, 'checkpoints'));
  if (!latest) {
    throw new ProcptError('usage', `nothing to resume in ${path}: no checkpoints/step-* directory`, {
      hint: 'pass a run directory (runs/<name>) or a checkpoint directory',
    });
  }
  return latest;
}

async function buildModel(
  config: RunConfig,
  data: ResolvedData,
  length: number,
  backend: BackendReport,
): Promise<Gpt> {
  const m = config.model;
  if (m.init.from === 'checkpoint') {
    // the training estimate from the checkpoint's config.json, before its weights are read
    checkMemory(config, await readCheckpointConfig(m.init.path), length, backend);
    return (await loadCheckpoint(m.init.path)).model;
  }
  const gpt = gptConfig(m.size, {
    vocabSize: m.vocabSize ?? data.vocabSize,
    nPositions: m.nPositions ?? data.nPositions ?? length - 1,
    tied: m.tied,
    dropout: m.dropout,
  });
  checkMemory(config, gpt, length, backend);
  const model = Gpt.create(gpt, { seed: config.seed });
  if (m.init.from === 'transfer') {
    const source = await loadCheckpoint(m.init.path);
    try {
      transfer(source.model, model, { parts: m.init.parts, embeddingInit: m.init.embeddingInit });
    } finally {
      source.model.dispose();
    }
  }
  return model;
}

/**
 * Refuses a step that cannot fit before anything is allocated: host RAM (or the wasm heap, or
 * `guards.memoryLimitMB`) for the CPU backends; for webgpu the adapter's buffer limits and `guards.gpuMemoryMB`.
 */
function checkMemory(config: RunConfig, gpt: GptConfig, length: number, backend: BackendReport): void {
  const step = {
    batchSize: config.data.batchSize,
    length,
    accumulation: config.data.accumulation,
    parameters: parameterCount(gpt),
  };
  if (backend.name === 'webgpu') {
    const gpuMemoryMB = config.guards.gpuMemoryMB;
    assertFitsOnWebGpu(gpt, { ...step, fused: webGpuFusedActive() }, `run ${config.name}`, {
      ...(backend.adapter?.limits ? { limits: backend.adapter.limits } : {}),
      ...(gpuMemoryMB ? { gpuMemoryBytes: gpuMemoryMB * 1024 * 1024 } : {}),
    });
    return;
  }
  const limitMB = config.guards.memoryLimitMB;
  const limit = limitMB ? limitMB * 1024 * 1024 : defaultMemoryLimit(backend.name);
  assertFitsInMemory(estimateTrainingMemory(gpt, step), limit, `run ${config.name}`);
}

/**
 * Runs (or resumes) a training run from a validated config: selects the backend, builds the data
 * and the model (scratch, checkpoint or the paper's transfer), refuses batches that cannot fit,
 * and trains into `<outDir>/<name>/` — `config.resolved.json`, `metrics.jsonl`,
 * `checkpoints/step-*` (keep-last-K, resumable) and `final/` (weights + config, no optimizer).
 */
export async function runTraining(config: RunConfig, options: RunOptions = {}): Promise<TrainingRun> {
  const runDir = join(config.outDir, config.name);
  await prepareOutput(runDir, {
    kind: 'container',
    force: options.force === true,
    owned: isRunFolder,
    what: 'run folder',
    forceHint:
      'choose another run name or outDir, or pass --force to train into it (only procpt run files there are replaced)',
  });
  await ensureDir(runDir);
  const lock =
    options.lock ??
    (await acquireFolderLock(runDir, {
      what: `run ${config.name}`,
      command: `procpt train (run ${config.name})`,
    }));
  try {
    recoverRunFolder(runDir);
    const stale = await checkRunFolder(runDir, config.name, options);
    for (const f of stale) await rm(join(runDir, f), { recursive: true, force: true });
    if (stale.length > 0)
      options.onInfo?.(`--force: starting run ${config.name} again (removed ${stale.join(', ')})`);
    return await trainIn(config, runDir, options);
  } finally {
    if (!options.lock) await lock.release();
  }
}

async function trainIn(config: RunConfig, runDir: string, options: RunOptions): Promise<TrainingRun> {
  const info = options.onInfo ?? (() => undefined);
  const backend = await selectBackend(options.backend ?? config.backend, {
    ...(config.threads ? { threads: config.threads } : {}),
  });
  info(`backend: ${backend.name} (${backend.package} ${backend.version}, ${backend.device})`);
  for (const note of backend.notes) info(`  ${note}`);
  const train = await resolveData(config.data.train, config.seed, 'train');
  const evalData = config.data.eval ? await resolveData(config.data.eval, config.seed, 'eval') : undefined;
  const length = config.data.length ?? train.length;
  if (length === undefined) {
    throw new ProcptError('config', 'data.length is required for token-shard and DM-Math data', {
      hint: 'set data.length to the context length in tokens (model inputs are length - 1)',
    });
  }

  let model: Gpt;
  let resume: ResumeState | undefined;
  if (options.resume) {
    const path = await resolveResumePath(options.resume);
    const gpt = await readCheckpointConfig(path);
    checkMemory(config, gpt, length, backend);
    const loaded = await loadTrainCheckpoint(path);
    if (loaded.state.step > config.steps) {
      loaded.model.dispose();
      tf.dispose(Object.values(loaded.moments));
      throw new ProcptError(
        'config',
        `steps is ${config.steps} but ${path} is already at step ${loaded.state.step}`,
        {
          hint: 'resume with the config the run was started with (or more steps)',
        },
      );
    }
    model = loaded.model;
    resume = { state: loaded.state, moments: loaded.moments };
    info(`resuming from ${path} (step ${loaded.state.step})`);
  } else {
    model = await buildModel(config, train, length, backend);
  }
  try {
    if (train.vocabSize > model.config.vocabSize) {
      throw new ProcptError(
        'config',
        `the training data uses ${train.vocabSize} token ids but model.vocabSize is ${model.config.vocabSize}`,
        { hint: 'remove model.vocabSize to size the model from the data' },
      );
    }
    const trainable = trainableNames(model, config.model.trainable);
    const parameters = parameterCount(model.config);
    const trainableCount = trainable.reduce((a, n) => a + model.param(n).size, 0);
    await writeJsonAtomic(join(runDir, 'config.resolved.json'), {
      config,
      model: model.config,
      parameters,
      trainableParameters: trainableCount,
      length,
      data: { train: train.source.describe(), eval: evalData?.source.describe() ?? null },
      backend,
      resumedFrom: options.resume ?? null,
    });
    info(`run directory: ${runDir} (${parameters} parameters, ${trainableCount} trained)`);
    const curriculum = train.curriculum;
    if (curriculum) {
      const { start, step, threshold } = curriculum.settings;
      info(`length curriculum: ${start} → ${curriculum.finalLength}, +${step} at accuracy ≥ ${threshold}`);
    }
    const trainer = new Trainer(
      {
        model,
        data: train.source,
        batchSize: config.data.batchSize,
        length,
        accumulation: config.data.accumulation,
        steps: config.steps,
        trainable,
        optimizer: config.optimizer,
        fusedOptimizer: await fusedOptimizerFor(backend),
        schedule: { ...config.schedule, totalSteps: config.steps },
        seed: config.seed,
        ...(curriculum ? { curriculum } : {}),
        ...(evalData
          ? {
              eval: {
                source: evalData.source,
                every: config.eval.every,
                batches: config.eval.batches,
                patience: config.eval.patience,
                metric: config.eval.metric,
              },
            }
          : {}),
        checkpoints: {
          dir: join(runDir, 'checkpoints'),
          every: config.checkpoint.every,
          keep: config.checkpoint.keep,
          meta: { run: config.name, data: train.source.describe() },
        },
        ...(config.checkpoint.best
          ? { best: { dir: join(runDir, 'best'), meta: { run: config.name, data: train.source.describe() } } }
          : {}),
        metricsPath: join(runDir, 'metrics.jsonl'),
        peakFlops: config.log.peakFlops,
        progress: options.progress ?? config.log.progress,
        debug: config.guards.debug,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.onWarn ? { onWarn: options.onWarn } : {}),
      },
      resume,
    );
    if (resume) tf.dispose(Object.values(resume.moments));
    try {
      const result = await trainer.run();
      const finalDir = join(runDir, 'final');
      await saveCheckpoint(finalDir, model, {
        step: result.state.step,
        run: config.name,
        data: train.source.describe(),
        reason: result.reason,
        eval: result.lastEval ?? null,
      });
      return {
        runDir,
        finalDir,
        ...(config.checkpoint.best ? { bestDir: join(runDir, 'best') } : {}),
        backend,
        model: model.config,
        parameters,
        trainable: trainableCount,
        result,
      };
    } finally {
      trainer.dispose();
    }
  } finally {
    model.dispose();
    await train.source.close?.();
    await evalData?.source.close?.();
  }
}
