import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/internal.ts'],
  format: ['esm'],
  // The public .d.ts mention Node types (streams): @types/node is a dependency, and this reference makes
  // TypeScript load it for consumers whatever their `types` setting or package manager layout.
  dts: { banner: '/// <reference types="node" />' },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // tfjs-core ships its gradient registry only as extensionless ESM files that Node cannot load;
  // bundle it (it registers into tfjs-core's global registry, shared across copies).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
