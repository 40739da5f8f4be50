// Test support shared by packages whose tests run code in a child process (to SIGKILL it mid-run, or to
// run --jobs workers): bundles a child entry with the @procpt/* packages taken from source.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packageSources } from './workspace-sources.js';

/**
 * The esbuild `build` function (passed in: esbuild is a devDependency of the packages, not of the root).
 * Typed loosely (`never` accepts esbuild's generic signature) so this file needs no esbuild types.
 */
export type EsbuildBuild = (options: never) => Promise<unknown>;

/**
 * Bundles `entry` into `<package>/node_modules/.cache/procpt-test/<name>-<pid>.mjs` and returns its path.
 * `@procpt/*` packages come from their sources; tfjs packages stay external (one engine, their `.wasm`
 * files), and so does `@procpt/backend-native`, which finds its compiled addon next to its built files.
 * Deep imports of tfjs-core's ESM dist (gradient registration) are bundled: Node cannot load them directly.
 */
export async function bundleTestChild(
  build: EsbuildBuild,
  options: { packageDir: string; entry: string; name: string },
): Promise<string> {
  const outDir = join(options.packageDir, 'node_modules', '.cache', 'procpt-test');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${options.name}-${process.pid}.mjs`);
  // (esbuild takes an exact alias over a prefix one: `@procpt/model/kernel-spec` is not `@procpt/model` + `/kernel-spec`)
  const alias = Object.assign(
    {},
    ...[
      'core',
      'model',
      'procgen',
      'eval',
      'tokenizer',
      'trainer-gpu',
      'corpora',
      'runner',
      'paper',
      'study',
    ].map(packageSources),
  ) as Record<string, string>;
  await (build as (options: object) => Promise<unknown>)({
    entryPoints: [options.entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    alias,
    logLevel: 'error',
    plugins: [
      {
        name: 'procpt-test-externals',
        setup(b: { onResolve: (o: { filter: RegExp }, f: (a: { path: string }) => unknown) => void }) {
          b.onResolve({ filter: /^@tensorflow\/[^/]+$/ }, (args) => ({ path: args.path, external: true }));
          b.onResolve({ filter: /^@procpt\/backend-native$/ }, (args) => ({
            path: args.path,
            external: true,
          }));
        },
      },
    ],
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return outfile;
}
