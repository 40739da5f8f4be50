import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError, writeJsonAtomic } from '@procpt/core';
import type { PlannedRun } from './plan/index.js';

export { WARMUP_FILE, markerPath, runStatus } from './status.js';
export type { RunStatus } from './status.js';
/** Per-run record of the study: backend, wall time, resumes (written before the completion marker). */
export const STUDY_RUN_FILE = 'study-run.json';
/** The run's settings as planned; a rerun with other settings is refused instead of mixed in. */
export const STUDY_CONFIG_FILE = 'study-config.json';

/** The warm-up record (`warmup.json`). */
export interface WarmupRecord {
  run: string;
  label: string;
  type: string;
  shuffled: boolean;
  mixture: Record<string, number> | null;
  size: string;
  steps: number;
  tokens: number;
  /** Masked-target accuracy of the warm-up model on held-out samples of its own data (last evaluation). */
  accuracy: number | null;
  loss: number | null;
  /**
   * Own-task score of the final weights on fresh samples: Dyck closing-bracket accuracy, else masked-token
   * accuracy (absent in records written before it existed).
   */
  ownTask?: { metric: string; accuracy: number; count: number; samples: number } | null;
  /** With a length curriculum: the length it trained at last, of the final `length` (else absent). */
  curriculum?: { reached: number; final: number } | null;
  backend: string;
  wallMs: number;
}

/** The study's per-run record (`study-run.json`). */
export interface StudyRunRecord {
  id: string;
  backend: string;
  /** Wall time of the invocation that finished the run (training + evaluation). */
  wallMs: number;
  /** True when the run was resumed from a checkpoint of an interrupted invocation. */
  resumed: boolean;
  finishedAt: string;
}

/**
 * Records the run's planned settings, or checks them against those of an earlier invocation: a run
 * directory started under other settings (another preset, another warm-up recipe) is never resumed.
 */
export async function claimRunDir(run: PlannedRun): Promise<void> {
  const path = join(run.dir, STUDY_CONFIG_FILE);
  const planned = JSON.stringify({ config: run.config, assemble: run.assemble ?? null });
  if (existsSync(path)) {
    const previous = JSON.stringify(JSON.parse(await readFile(path, 'utf8')));
    if (previous !== planned) {
      throw new ProcptError('config', `run ${run.id} in ${run.dir} was started with different settings`, {
        hint: 'use another --out directory, or delete that run directory to redo it',
      });
    }
    return;
  }
  await writeJsonAtomic(path, JSON.parse(planned) as unknown);
}

/** The last `train` line of a metrics log (step, tokens/s), read from the file's tail only. */
export async function lastTrainLine(
  metricsPath: string,
): Promise<{ step: number; tokensPerSecond: number } | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(metricsPath, 'r');
    const { size } = await handle.stat();
    const len = Math.min(size, 8192);
    const buf = Buffer.alloc(len);
    await handle.read(buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').reverse();
    for (const line of lines) {
      if (!line.includes('"kind":"train"')) continue;
      try {
        const r = JSON.parse(line) as { step?: unknown; tokensPerSecond?: unknown };
        if (typeof r.step === 'number') {
          return {
            step: r.step,
            tokensPerSecond: typeof r.tokensPerSecond === 'number' ? r.tokensPerSecond : 0,
          };
        }
      } catch {
        // a torn first or last line of the window: look further back
      }
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
