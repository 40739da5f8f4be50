import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/internal.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // tfjs-core ships its gradient registry only as extensionless ESM files that Node cannot load;
  // bundle it (it registers into tfjs-core's global registry, shared across copies).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\//],
});
