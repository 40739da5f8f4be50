import { defineConfig } from 'tsup';

export default defineConfig({
  // The chunk worker is its own entry: generateTokenChunks starts it from dist/chunk-worker.js.
  entry: ['src/index.ts', 'src/chunk-worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
