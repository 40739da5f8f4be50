import { join } from 'node:path';
import { ProcptError, assertConfig, createAtomicWriteStream } from '@procpt/core';
import { DM_MATH_SPLITS, type DmMathSplit, dmMathModules, dmMathProblem } from './modules.js';

/** The dataset's top folder name, as in the original tarball. */
export const DM_MATH_ROOT = 'mathematics_dataset-v1.0';

/** Options of {@link writeDmMath}. */
export interface WriteDmMathOptions {
  /** Output directory; files go to `<out>/mathematics_dataset-v1.0/<split>/<module>.txt`. */
  out: string;
  /** Question/answer pairs per module file. */
  perModule: number;
  /** Seed (default 0): same seed → same bytes. */
  seed?: number;
  /** Folders to write (default all five). */
  splits?: readonly DmMathSplit[];
  /** Only these module names (default all). */
  modules?: readonly string[];
  /** Called after each finished file with the pairs written so far. */
  onProgress?: (pairs: number, file: string) => void;
}

/** What {@link writeDmMath} wrote. */
export interface WriteDmMathResult {
  root: string;
  files: number;
  pairs: number;
  bytes: number;
}

/**
 * Writes a DeepMind-Math-format dataset: for each split and module, a text file of alternating
 * question and answer lines. Each file is written atomically. Deterministic in the seed.
 *
 * @example
 * await writeDmMath({ out: 'data/math', perModule: 1000 });
 * // data/math/mathematics_dataset-v1.0/train-easy/algebra__linear_1d.txt …
 */
export async function writeDmMath(options: WriteDmMathOptions): Promise<WriteDmMathResult> {
  const { out, perModule, seed = 0 } = options;
  assertConfig(Number.isInteger(perModule) && perModule >= 1, 'perModule', 'a positive integer', perModule);
  assertConfig(Number.isInteger(seed), 'seed', 'an integer', seed);
  const splits = options.splits ?? DM_MATH_SPLITS;
  for (const s of splits) {
    if (!DM_MATH_SPLITS.includes(s)) {
      throw new ProcptError('usage', `unknown DM-Math split ${JSON.stringify(s)}`, {
        hint: `use ${DM_MATH_SPLITS.join(', ')}`,
      });
    }
  }
  const wanted = options.modules ? new Set(options.modules) : undefined;
  if (wanted) {
    const known = new Set(splits.flatMap((s) => dmMathModules(s).map((m) => m.name)));
    for (const name of wanted) {
      if (!known.has(name)) {
        throw new ProcptError('usage', `unknown DM-Math module ${JSON.stringify(name)}`, {
          hint: 'see procpt corpora dm-math --list',
        });
      }
    }
  }
  const root = join(out, DM_MATH_ROOT);
  const result: WriteDmMathResult = { root, files: 0, pairs: 0, bytes: 0 };
  for (const split of splits) {
    for (const module of dmMathModules(split)) {
      if (wanted && !wanted.has(module.name)) continue;
      const path = join(root, split, `${module.name}.txt`);
      const file = await createAtomicWriteStream(path);
      try {
        let text = '';
        for (let i = 0; i < perModule; i++) {
          const { question, answer } = dmMathProblem(module, split, seed, i);
          text += `${question}\n${answer}\n`;
          if (text.length >= 1 << 16 || i === perModule - 1) {
            result.bytes += text.length;
            if (!file.stream.write(text))
              await new Promise<void>((r) => file.stream.once('drain', () => r()));
            text = '';
          }
        }
        await file.commit();
      } catch (error) {
        await file.abort();
        throw error;
      }
      result.files++;
      result.pairs += perModule;
      options.onProgress?.(result.pairs, path);
    }
  }
  return result;
}
