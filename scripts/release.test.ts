import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readChangesets } from './release-rehearsal.mjs';

// What a published package must carry, checked without a registry (scripts/registry-check.sh checks the
// same on installed packages): its licence, declarations a consumer can compile, changesets that release.

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');

interface Manifest {
  name: string;
  license?: string;
  private?: boolean;
  types?: string;
  files?: string[];
  dependencies?: Record<string, string>;
}
const manifests = readdirSync(packagesDir)
  .filter((d) => existsSync(join(packagesDir, d, 'package.json')))
  .map((dir) => ({
    dir,
    m: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as Manifest,
  }));
const published = manifests.filter(({ m }) => !m.private);

describe('published packages', () => {
  it('the root LICENSE is MIT', () => {
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });

  it.each(published.map(({ dir }) => dir))(
    '@procpt/%s: license MIT, a LICENSE equal to the root one, types in dist',
    (dir) => {
      const m = published.find((p) => p.dir === dir)!.m;
      expect(m.license).toBe('MIT');
      // npm and pnpm always pack a package's LICENSE, whatever `files` says.
      expect(readFileSync(join(packagesDir, dir, 'LICENSE'), 'utf8')).toBe(
        readFileSync(join(root, 'LICENSE'), 'utf8'),
      );
      expect(m.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(m.files).toContain('dist');
    },
  );

  // A consumer compiles our declarations with only the packages and typescript installed: a package whose
  // .d.ts use Node's types depends on @types/node and references it (tsup's dts banner), so that TypeScript
  // loads them whatever the consumer's `types` or its package manager's layout.
  it.each(published.map(({ dir }) => dir))('@procpt/%s: its .d.ts bring the Node types they use', (dir) => {
    const dist = join(packagesDir, dir, 'dist');
    if (!existsSync(dist)) return; // not built: the registry check and the examples test cover it after a build
    const m = published.find((p) => p.dir === dir)!.m;
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(join(dist, file), 'utf8');
      const usesNode =
        /from ['"]node:|NodeJS\.|\bBuffer\b|from ['"](fs|stream|worker_threads|events)['"]/.test(text);
      if (!usesNode) continue;
      expect(m.dependencies?.['@types/node'], `${dir}/dist/${file} uses Node types`).toBeDefined();
      expect(text.startsWith('/// <reference types="node" />'), `${dir}/dist/${file} references them`).toBe(
        true,
      );
    }
  });
});

describe('changesets', () => {
  const names = new Map(manifests.map(({ m }) => [m.name, m]));
  it('name only published packages (the study ships in @procpt/cli)', () => {
    const bad = readChangesets(root).flatMap((c: { file: string; releases: Record<string, string> }) =>
      Object.keys(c.releases)
        .filter((name) => !names.has(name) || names.get(name)?.private)
        .map((name) => `.changeset/${c.file}: ${name}`),
    );
    expect(bad).toEqual([]);
  });
});
