#!/usr/bin/env node
// Builds the addon from source into native/build/Release/procpt_native.node with node-gyp (native/binding.gyp):
// the fallback for platforms without a prebuilt (prebuilds/, see scripts/prebuild.mjs) and for changed native/
// sources in this repository. The package has no install script: nothing runs at install, and this is the
// command that the loader's message prints, with this file's absolute path, for a user's project:
//
//   node <package>/scripts/build-native.mjs --force
//
// Without --force (the package's `build` in this repository) it skips the build when the prebuilt for this
// platform loads and matches native/, or when the local build is newer than every source, and never fails: a
// failed build leaves its reason in native/build/native-build-error.txt, which the loader reports. With --force
// it always builds and exits 1 with the compiler's error when the build fails.
// Env: PROCPT_NATIVE_SKIP_BUILD=1 skips the build. Needs a C++ compiler (g++), Python 3 and node-gyp (npm's).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeSourceFiles } from './native-sources.mjs';
import { findNodeGyp, nodeHeadersDir } from './node-gyp.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(root, 'native');
const addon = join(native, 'build', 'Release', 'procpt_native.node');
const errorFile = join(native, 'build', 'native-build-error.txt');
const force = process.argv.includes('--force');

function record(reason) {
  mkdirSync(join(native, 'build'), { recursive: true });
  writeFileSync(errorFile, `${reason}\n`);
  const line = reason.replace(/\s+/g, ' ').slice(0, 300);
  if (force) {
    console.error(`@procpt/backend-native: native addon not built:\n${reason}`);
    process.exitCode = 1;
  } else
    console.warn(
      `@procpt/backend-native: native addon not built (${line}); procpt will use the wasm backend.`,
    );
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return nativeSourceFiles(root).every((f) => statSync(join(root, f)).mtimeMs <= built);
}

/**
 * Asks the package's loader (dist/addon.js) about the prebuilt for this platform: its label when it loads and
 * matches native/, else why not (undefined when the loader is not built yet).
 */
async function prebuiltHere() {
  try {
    const { resolveAddon } = await import('../dist/addon.js');
    const env = { ...process.env, PROCPT_NATIVE: '', PROCPT_NATIVE_ISA: '' };
    const load = resolveAddon({ root, skipLocal: true, env });
    return load.addon ? { label: load.label } : { miss: load.skipped[0] };
  } catch {
    return undefined;
  }
}

async function main() {
  if (process.env.PROCPT_NATIVE_SKIP_BUILD === '1') return record('skipped: PROCPT_NATIVE_SKIP_BUILD=1');
  if (!force) {
    const prebuilt = await prebuiltHere();
    if (prebuilt?.label) {
      console.log(`@procpt/backend-native: using the ${prebuilt.label} binary, no native build needed`);
      return;
    }
    // e.g. changed C++ sources in this repository: the loader will take the local build instead
    if (prebuilt?.miss && !prebuilt.miss.startsWith('no prebuilt binary for'))
      console.warn(`@procpt/backend-native: ${prebuilt.miss}; using a local build from source`);
    if (upToDate()) return;
  }
  const gyp = findNodeGyp();
  if (!gyp) return record('node-gyp not found (install npm, or add node-gyp to the project)');
  const args = [gyp, 'rebuild', '--release'];
  const headers = nodeHeadersDir();
  if (headers) args.push(`--nodedir=${headers}`);
  rmSync(errorFile, { force: true });
  const r = spawnSync(process.execPath, args, { cwd: native, encoding: 'utf8', env: process.env });
  if (r.status === 0 && existsSync(addon)) {
    if (force) console.log(`@procpt/backend-native: built ${addon}`);
    return;
  }
  const last = `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  record(`node-gyp build failed:\n${last}`);
}

try {
  await main();
} catch (e) {
  record(`build script error: ${e instanceof Error ? e.message : String(e)}`);
}
