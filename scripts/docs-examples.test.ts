import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_DOCS_BASE,
  REPO_BLOB,
  docFiles,
  extractBlocks,
  installPackages,
  linkWorkspace,
  markdownLinks,
  repoRoot,
  runExamples,
} from './docs-examples.mjs';

// Every code example of every README and docs/ page is either run here against the built packages (and
// by scripts/registry-check.sh against the packages installed from a registry), or says why it is not.
// The convention is in scripts/docs-examples.mjs. Needs `pnpm build` first (it runs dist/, as users do).

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const packagesDir = join(repoRoot, 'packages');
const names = readdirSync(packagesDir).filter((n) => existsSync(join(packagesDir, n, 'package.json')));
const manifest = (name: string): Manifest =>
  JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as Manifest;
const publicNames = names.filter((n) => !manifest(n).private);
const files = docFiles();
const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const blocksOf = (file: string) => extractBlocks(read(file), file);

const links = markdownLinks;

describe('README and docs/ examples', () => {
  it('scans the READMEs and docs/', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('packages/procgen/README.md');
    expect(files).toContain('docs/getting-started.md');
  });

  it('every ts/js/sh block is marked runnable, install or no-run (with a reason)', () => {
    const unmarked = files.flatMap((file) =>
      blocksOf(file)
        .filter((b) => b.example && (b.marker === null || (b.marker === 'no-run' && !b.reason)))
        .map((b) => `${b.file}:${b.line} (${b.lang}${b.marker ? ' no-run without a reason' : ''})`),
    );
    expect(unmarked, 'mark each as ```ts runnable, ```sh install or ```sh no-run: why').toEqual([]);
    const misplaced = files.flatMap((file) =>
      blocksOf(file)
        .filter((b) => b.marker === 'install' && b.lang !== 'sh')
        .map((b) => `${b.file}:${b.line}`),
    );
    expect(misplaced).toEqual([]);
  });

  it('install lines name public packages, and third-party ones at the version the workspace uses', () => {
    const versions = new Map<string, string>();
    for (const n of names) {
      const m = manifest(n);
      for (const [dep, range] of Object.entries({ ...m.devDependencies, ...m.dependencies }))
        versions.set(dep, range);
    }
    const problems: string[] = [];
    for (const file of files) {
      for (const block of blocksOf(file).filter((b) => b.marker === 'install')) {
        for (const spec of installPackages(block.code)) {
          const at = spec.lastIndexOf('@');
          const [name, version] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, undefined];
          if (name.startsWith('@procpt/')) {
            const dir = name.slice('@procpt/'.length);
            if (!publicNames.includes(dir)) problems.push(`${file}:${block.line}: ${name} is not published`);
          } else if (!versions.has(name)) {
            problems.push(`${file}:${block.line}: ${name} is no dependency of any package`);
          } else if (version !== versions.get(name)) {
            problems.push(
              `${file}:${block.line}: ${spec}, but the packages use ${name}@${versions.get(name)}`,
            );
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it.each(publicNames)(
    '@procpt/%s README: install line, a short runnable example, the API docs, links that work on npm',
    (name) => {
      const file = `packages/${name}/README.md`;
      const text = read(file);
      const blocks = blocksOf(file);
      const install = blocks.filter((b) => b.marker === 'install');
      expect(install, 'one ```sh install block').toHaveLength(1);
      expect(installPackages(install[0]?.code ?? '')).toContain(`@procpt/${name}`);
      const example = blocks.find((b) => b.marker === 'runnable' && (b.lang === 'ts' || b.lang === 'sh'));
      expect(example, 'a runnable example').toBeDefined();
      const lines = (example?.code ?? '').split('\n').filter((l) => l.trim() !== '');
      expect(lines.length, `${file}:${example?.line}: the first example is short`).toBeLessThanOrEqual(16);
      expect(text).toContain(`${API_DOCS_BASE}modules/_procpt_${name}.html`);
      // On npm a README is shown alone: a relative link only works to a file in the tarball.
      const shipped = new Set(['README.md', 'LICENSE', 'package.json', ...(manifest(name).files ?? [])]);
      const broken = links(text).filter((target) => {
        if (/^(https?:|mailto:|#)/.test(target)) return false;
        const path = normalize(target.split('#')[0] ?? '');
        return path.startsWith('..') || !shipped.has(path.split('/')[0] ?? '');
      });
      expect(broken, `${file}: link these with ${REPO_BLOB}…`).toEqual([]);
    },
  );

  it('links resolve: relative ones to files, and the repository ones to files that exist', () => {
    const broken: string[] = [];
    for (const file of files) {
      for (const target of links(read(file))) {
        const path = target.split('#')[0] ?? '';
        if (target.startsWith(REPO_BLOB) || target.startsWith(REPO_BLOB.replace('/blob/', '/tree/'))) {
          const inRepo = path.slice(REPO_BLOB.length);
          if (!existsSync(join(repoRoot, inRepo))) broken.push(`${file}: ${target}`);
        } else if (path && !/^(https?:|mailto:)/.test(target)) {
          if (!existsSync(join(repoRoot, dirname(file), path))) broken.push(`${file}: ${target}`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});

// The runnable examples, against the built packages, in a project outside the workspace whose node_modules
// links the workspace packages (and the third-party packages the examples import), with the `procpt` bin.
// One file alone: node scripts/docs-examples.mjs run --workspace packages/procgen/README.md
describe('runnable examples', () => {
  const runnable = files.filter((file) => blocksOf(file).some((b) => b.marker === 'runnable'));
  let project = '';

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'procpt-examples-'));
    linkWorkspace(project, runnable);
  });
  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('compile (strict tsc, NodeNext, the packages .d.ts checked too) and run, file by file', async () => {
    const log: string[] = [];
    try {
      const n = await runExamples({ project, files: runnable, log: (l: string) => log.push(l) });
      expect(n).toBeGreaterThan(runnable.length - 1);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- log ---\n${log.join('\n')}`);
    }
  }, 900_000);
});
