import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// docs/architecture.md's dependency graph is the map newcomers read: this keeps it true. An edge there
// must be a package.json dependency, and every `@procpt/*` import in a package's own source must be one.

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');
const names = readdirSync(packagesDir).filter((n) => statSync(join(packagesDir, n)).isDirectory());

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const manifest = (name: string): Manifest =>
  JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as Manifest;

const workspaceDeps = (deps: Record<string, string> | undefined): string[] =>
  Object.keys(deps ?? {})
    .filter((d) => d.startsWith('@procpt/'))
    .map((d) => d.slice('@procpt/'.length))
    .sort();

/** `a --> b` (dependency) and `a -.-> b` (devDependency) lines of the mermaid block. */
function documentedGraph(): { deps: Map<string, string[]>; dev: Map<string, string[]> } {
  const doc = readFileSync(join(root, 'docs', 'architecture.md'), 'utf8');
  const block = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/architecture.md has no mermaid graph');
  const deps = new Map<string, string[]>(names.map((n) => [n, []]));
  const dev = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const line of block.split('\n')) {
    const m = /^\s*([\w-]+)\s*(-->|-\.->)\s*([\w-]+)\s*$/.exec(line);
    if (!m) continue;
    const [, from, arrow, to] = m as unknown as [string, string, string, string];
    const table = arrow === '-->' ? deps : dev;
    if (!table.has(from)) throw new Error(`docs/architecture.md names an unknown package ${from}`);
    table.get(from)!.push(to);
  }
  for (const table of [deps, dev]) for (const [k, v] of table) table.set(k, v.sort());
  return { deps, dev };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' || e.name === 'fixtures' ? [] : sourceFiles(path);
    return /\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [path] : [];
  });
}

/** Packages a package's non-test source imports (static, dynamic and type imports alike). */
function importedPackages(name: string): string[] {
  const found = new Set<string>();
  for (const file of sourceFiles(join(packagesDir, name, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'@procpt\/([\w-]+)/g)) {
      if (m[1] !== name) found.add(m[1]!);
    }
  }
  return [...found].sort();
}

describe('docs/architecture.md', () => {
  const graph = documentedGraph();

  it.each(names)('shows exactly the dependencies of %s', (name) => {
    const m = manifest(name);
    expect(workspaceDeps(m.dependencies)).toEqual(graph.deps.get(name));
    expect(workspaceDeps(m.devDependencies)).toEqual(graph.dev.get(name));
  });

  it.each(names)('%s imports only the packages it depends on', (name) => {
    const declared = new Set(workspaceDeps(manifest(name).dependencies));
    // the CLI bundles the private study, which it lists as a devDependency
    if (name === 'cli') declared.add('study');
    const undeclared = importedPackages(name).filter((p) => !declared.has(p));
    expect(undeclared, `${name} imports ${undeclared.join(', ')} without depending on it`).toEqual([]);
  });

  it('the trainer knows no task, dataset or recipe', () => {
    expect(graph.deps.get('trainer-gpu')).toEqual(['backend-native', 'core', 'model']);
  });

  it('the CLI bundles the study and carries every runtime dependency of it', () => {
    const tsup = readFileSync(join(packagesDir, 'cli', 'tsup.config.ts'), 'utf8');
    expect(tsup).toMatch(/noExternal:\s*\[[^\]]*'@procpt\/study'/);
    const cli = new Set(Object.keys(manifest('cli').dependencies ?? {}));
    const missing = Object.keys(manifest('study').dependencies ?? {}).filter((d) => !cli.has(d));
    expect(missing, 'study dependencies the CLI bundle would not find').toEqual([]);
  });
});
