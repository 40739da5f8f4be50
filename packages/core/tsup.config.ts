import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm'],
  // The public .d.ts mention Node types (streams): @types/node is a dependency, and this reference makes
  // TypeScript load it for consumers whatever their `types` setting or package manager layout.
  dts: { banner: '/// <reference types="node" />' },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
