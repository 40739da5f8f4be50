import { defineConfig } from 'tsup';

export default defineConfig({
  // status: the subpath export @procpt/study/status (plan status and run claims, node and @procpt/core only),
  // which `procpt study exec-run` and `study plan` load without tfjs
  entry: ['src/index.ts', 'src/status.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
});
