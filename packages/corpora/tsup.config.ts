import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/encode-worker.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
