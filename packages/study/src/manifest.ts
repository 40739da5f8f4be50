import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError, writeJsonAtomic } from '@procpt/core';
import type { StudyPlan } from './plan/index.js';

/** The study directory's manifest (`study.json`): preset, experiments and every invocation. */
export interface StudyManifest {
  format: 'procpt.study';
  version: 1;
  preset: string;
  experiments: string[];
  invocations: {
    experiments: string[];
    backend: string;
    wallMs: number;
    executed: number;
    finishedAt: string;
  }[];
}

/** File name of the manifest inside `--out`. */
export const MANIFEST_FILE = 'study.json';

/** Reads `<out>/study.json`, or undefined when the directory holds no study yet. */
export async function readManifest(out: string): Promise<StudyManifest | undefined> {
  const path = join(out, MANIFEST_FILE);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ProcptError('corrupt', `${path} is not valid JSON`, { cause: error });
  }
  const m = value as Partial<StudyManifest>;
  if (m.format !== 'procpt.study' || typeof m.preset !== 'string' || !Array.isArray(m.invocations)) {
    throw new ProcptError('corrupt', `${path} is not a procpt study manifest`, {
      hint: 'point --out at a directory written by `procpt study run`',
    });
  }
  return m as StudyManifest;
}

/**
 * Writes `plan.json` (what `--jobs` workers execute) and creates or checks `study.json`: a directory
 * holding a study of another preset is refused (its run names would collide with other settings).
 */
export async function writePlanFiles(plan: StudyPlan): Promise<void> {
  await mkdir(plan.out, { recursive: true });
  const manifest = await readManifest(plan.out);
  if (manifest && manifest.preset !== plan.preset) {
    throw new ProcptError(
      'usage',
      `${plan.out} holds a study with preset ${manifest.preset}, not ${plan.preset}`,
      {
        hint: 'use another --out directory for another preset',
      },
    );
  }
  await writeJsonAtomic(join(plan.out, 'plan.json'), plan);
  const experiments = [...new Set([...(manifest?.experiments ?? []), ...plan.experiments])];
  await writeJsonAtomic(join(plan.out, MANIFEST_FILE), {
    format: 'procpt.study',
    version: 1,
    preset: plan.preset,
    experiments,
    invocations: manifest?.invocations ?? [],
  } satisfies StudyManifest);
}

/** Appends one invocation (backend, wall time, runs executed) to `study.json`. */
export async function recordInvocation(
  plan: StudyPlan,
  entry: { backend: string; wallMs: number; executed: number },
): Promise<void> {
  const manifest = await readManifest(plan.out);
  if (!manifest) return;
  manifest.invocations.push({
    experiments: plan.experiments,
    backend: entry.backend,
    wallMs: Math.round(entry.wallMs),
    executed: entry.executed,
    finishedAt: new Date().toISOString(),
  });
  await writeJsonAtomic(join(plan.out, MANIFEST_FILE), manifest);
}
