import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeDmMath } from './write.js';

// A second, independent answer check: tools/verify_dm_math.py re-derives every answer with sympy
// (another language and library, no shared code). It needs Debian's Python with sympy, which the
// project's machines have; elsewhere the check is skipped and says so.
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../tools/verify_dm_math.py', import.meta.url));
const hasSympy = spawnSync(PYTHON, ['-c', 'import sympy'], { stdio: 'ignore' }).status === 0;
if (!hasSympy) console.warn(`sympy check skipped: ${PYTHON} with sympy not found`);

describe.skipIf(!hasSympy)('DM-Math answers re-derived by sympy', () => {
  it('every module, every split: values right, layout and limits kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-dm-sympy-'));
    try {
      await writeDmMath({ out: dir, perModule: 6, seed: 11 });
      const run = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', timeout: 50_000 });
      const summary = run.stdout.trim().split('\n').at(-1) ?? '';
      expect(summary).toMatch(/^checked 954 pairs in 50 modules, 0 problem\(s\)/);
      expect(run.status, run.stdout + run.stderr).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('catches a wrong answer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'procpt-dm-sympy-'));
    try {
      const folder = join(dir, 'mathematics_dataset-v1.0');
      for (const split of ['train-easy', 'train-medium', 'train-hard', 'interpolate', 'extrapolate']) {
        await mkdir(join(folder, split), { recursive: true });
      }
      await writeFile(
        join(folder, 'train-easy', 'arithmetic__mul.txt'),
        'Product of 1642 and -7063.\n-11597446\nWhat is -3 times 4?\n-13\n',
      );
      const run = spawnSync(PYTHON, [SCRIPT, dir], { encoding: 'utf8', timeout: 50_000 });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(
        'train-easy/arithmetic__mul.txt:3: What is -3 times 4? -> -13 (expected -12)',
      );
      expect(run.stdout).toContain('checked 2 pairs in 1 modules, 1 problem(s)');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
