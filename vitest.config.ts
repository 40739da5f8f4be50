import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { packageSources } from './scripts/test-support/workspace-sources.js';

// Tests import sibling packages from source so they run before (and without) a build. Exact matches only, so
// that `@procpt/x` never captures a subpath export `@procpt/x/y`.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = readdirSync(packagesDir).flatMap((name) =>
  Object.entries(packageSources(name)).map(([specifier, source]) => ({
    find: new RegExp(`^${specifier}$`),
    replacement: source,
  })),
);

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
