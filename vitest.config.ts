import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import sibling packages from source so they run before (and without) a build: `@procpt/x` is
// `packages/x/src/index.ts`, and a subpath export `@procpt/x/sub` (built to `dist/sub.js`) is `src/sub.ts`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = readdirSync(packagesDir).flatMap((name) => {
  const pkg = JSON.parse(readFileSync(`${packagesDir}${name}/package.json`, 'utf8')) as {
    exports?: Record<string, { import?: string } | string>;
  };
  const subpaths = Object.entries(pkg.exports ?? {}).flatMap(([key, target]) => {
    const file = typeof target === 'string' ? target : target.import;
    if (key === '.' || !file?.startsWith('./dist/')) return [];
    const source = file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts');
    return [{ find: `@procpt/${name}${key.slice(1)}`, replacement: `${packagesDir}${name}/${source}` }];
  });
  return [
    ...subpaths,
    { find: new RegExp(`^@procpt/${name}$`), replacement: `${packagesDir}${name}/src/index.ts` },
  ];
});

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default', './scripts/summary-reporter.ts'],
  },
});
