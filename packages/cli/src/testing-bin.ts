// Test helper (not exported): the `procpt` bin bundled from source, for tests that need real processes
// (signals, several workers at once).
import { copyFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleTestChild } from '../../../scripts/test-support/bundle-child.js';

const cliDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// esbuild is a devDependency of the runner (the CLI itself does not need it)
const { build } = createRequire(join(cliDir, '..', 'runner', 'package.json'))('esbuild') as {
  build: (o: never) => Promise<unknown>;
};

/** A bundled `procpt` bin (run it with `node bin …`); `dispose` removes the bundle. */
export interface BundledCli {
  bin: string;
  dispose(): Promise<void>;
}

/** Bundles `src/bin.ts` under `name` (a file per process, so test files running at once do not collide). */
export async function bundleCliBin(name: string): Promise<BundledCli> {
  const bin = await bundleTestChild(build, {
    packageDir: cliDir,
    entry: join(cliDir, 'src', 'bin.ts'),
    name,
  });
  // The bundle reads its version from ../package.json, as the built bin does. The copy is shared by every
  // bundle (same content) and left in place: deleting it while another test file's bundle runs would break it.
  copyFileSync(join(cliDir, 'package.json'), join(dirname(bin), '..', 'package.json'));
  return { bin, dispose: () => rm(bin, { force: true }) };
}
