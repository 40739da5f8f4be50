import { defineConfig } from 'tsup';

export default defineConfig({
  // kernel-spec: the subpath export @procpt/model/kernel-spec (names and types only, for kernel backends)
  entry: ['src/index.ts', 'src/kernel-spec.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // tfjs-core ships its gradient registrations only as extensionless ESM that Node cannot load;
  // bundle them (they register into tfjs' global registry, shared with the CJS core build).
  noExternal: [/^@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
});
