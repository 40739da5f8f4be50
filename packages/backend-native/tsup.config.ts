import { defineConfig } from 'tsup';

export default defineConfig({
  // addon.js on its own too: scripts/build-native.mjs asks the loader whether the prebuilt loads here
  entry: ['src/index.ts', 'src/addon.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
