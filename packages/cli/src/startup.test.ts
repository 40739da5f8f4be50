// `procpt --help` loads no heavy module: command registration imports only commander, @procpt/core and
// node built-ins, and each action imports what it needs when it runs. Checked twice, without timing
// anything: on the sources (the static import graph of bin.ts), and on the built bin (the modules a real
// `procpt --help` process loads, recorded by a module hook). The built bin also shows that a real
// `procpt train` prints no tfjs banner.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', 'dist', 'bin.js');
const built = existsSync(bin);

/** What command registration may import (besides node built-ins and the CLI's own light files). */
const LIGHT_PACKAGES = new Set(['commander', '@procpt/core']);

/** Static, value (not type-only) imports and re-exports of a TypeScript file. */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const found: string[] = [];
  for (const node of source.statements) {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      if (clause?.isTypeOnly) continue;
      const named = clause?.namedBindings;
      // `import { type A, type B } from` imports no value either
      if (
        clause &&
        !clause.name &&
        named &&
        ts.isNamedImports(named) &&
        named.elements.length > 0 &&
        named.elements.every((e) => e.isTypeOnly)
      )
        continue;
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      found.push((node.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

describe('procpt --help loads nothing heavy', () => {
  it('the static import graph of bin.ts reaches only commander, @procpt/core and node built-ins', () => {
    const seen = new Set<string>();
    const packages = new Map<string, string>(); // package → the file importing it
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of staticImports(file)) {
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else if (!spec.startsWith('node:')) packages.set(spec, file);
      }
    };
    visit(join(here, 'bin.ts'));
    // registration reaches every command module (so the check covers them)
    for (const m of ['procgen', 'model', 'eval', 'trainer', 'study', 'tokenize', 'corpora'])
      expect(seen).toContain(join(here, 'commands', `${m}.ts`));
    // and no action module
    expect([...seen].filter((f) => f.endsWith('-run.ts'))).toEqual([]);
    const heavy = [...packages].filter(([pkg]) => !LIGHT_PACKAGES.has(pkg));
    expect(heavy.map(([pkg, file]) => `${pkg} (imported by ${file.slice(here.length + 1)})`)).toEqual([]);
  });

  describe.skipIf(!built)('the built bin (pnpm build first)', () => {
    let dir: string;
    let preload: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'procpt-cli-startup-'));
      // A module hook that records every module a process loads: ESM through the loader hooks (which run
      // off-thread in Node 20, so they append to a file), CommonJS from require's cache at exit.
      await writeFile(
        join(dir, 'hooks.mjs'),
        [
          "import { appendFileSync } from 'node:fs';",
          'let log;',
          'export function initialize(data) { log = data.log; }',
          'export async function load(url, context, next) {',
          "  if (!url.startsWith('node:')) appendFileSync(log, url + '\\n');",
          '  return next(url, context);',
          '}',
        ].join('\n'),
      );
      preload = join(dir, 'record.mjs');
      await writeFile(
        preload,
        [
          "import { appendFileSync } from 'node:fs';",
          "import { createRequire, register } from 'node:module';",
          "import { pathToFileURL } from 'node:url';",
          'const log = process.env.PROCPT_MODULE_LOG;',
          "register('./hooks.mjs', import.meta.url, { data: { log } });",
          "process.on('exit', () => {",
          '  const cjs = Object.keys(createRequire(import.meta.url).cache);',
          "  appendFileSync(log, cjs.map((p) => pathToFileURL(p).href + '\\n').join(''));",
          '});',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** The module URLs `procpt <args>` loads (hook and preload files left out). */
    async function loadedModules(args: string[]): Promise<string[]> {
      const log = join(dir, `modules-${args.join('-').replace(/[^a-z-]/g, '')}.log`);
      const res = spawnSync(process.execPath, ['--import', preload, bin, ...args], {
        encoding: 'utf8',
        env: { ...process.env, PROCPT_MODULE_LOG: log },
      });
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^Usage: procpt/);
      const urls = (await readFile(log, 'utf8')).split('\n').filter((u) => u !== '');
      return [...new Set(urls)].filter((u) => !u.startsWith(`file://${dir}`));
    }

    const isLight = (url: string) => {
      const path = fileURLToPath(url);
      return (
        /[/\\]packages[/\\](cli|core)[/\\]/.test(path) || /[/\\]node_modules[/\\]commander[/\\]/.test(path)
      );
    };

    it.each([
      [['--help']],
      [['gen', '--help']],
      [['train', '--help']],
      [['study', 'plan', '--help']],
      [['study', 'exec-run', '--help']],
      [['eval', 'diag', '--help']],
      [['corpora', 'prepare', '--help']],
    ])('procpt %j loads only the CLI, @procpt/core and commander', async (args) => {
      const urls = await loadedModules(args);
      expect(urls.filter((u) => u.includes('tensorflow'))).toEqual([]);
      expect(urls.filter((u) => !isLight(u))).toEqual([]);
      // the CLI's own files: bin.js and the shared chunks of registration, never an action's chunk
      const cli = urls.filter((u) => /[/\\]packages[/\\]cli[/\\]/.test(fileURLToPath(u)));
      expect(cli.filter((u) => /-run-|study-dispatch|status-/.test(u))).toEqual([]);
      expect(urls.length).toBeLessThan(30); // 13 when written (514 before lazy imports)
    });

    it('a tiny procpt train prints no tfjs "running TensorFlow.js in Node.js" banner', async () => {
      const config = join(dir, 'tiny.yaml');
      await writeFile(
        config,
        [
          'recipe: diagnostic/addition',
          'name: tiny',
          `outDir: ${JSON.stringify(join(dir, 'runs'))}`,
          'steps: 2',
          'model: { size: 1_2_16 }',
          'data: { batchSize: 4, eval: { kind: diagnostic, task: addition, testSize: 8 } }',
          'schedule: { warmupSteps: 1 }',
          'eval: { every: 2, batches: 1 }',
          'checkpoint: { every: 2, keep: 1 }',
        ].join('\n'),
      );
      for (const backend of ['cpu', 'auto']) {
        const res = spawnSync(
          process.execPath,
          [bin, 'train', '-c', config, '--backend', backend, '--no-progress', '--force'],
          { encoding: 'utf8' },
        );
        expect(res.status, res.stderr).toBe(0);
        expect(res.stderr).toMatch(/^backend: /m);
        expect(res.stderr).not.toMatch(/TensorFlow\.js in Node\.js|tfjs-node for more details/);
        expect(res.stdout).not.toMatch(/TensorFlow\.js in Node\.js/);
      }
    });
  });
});
