#!/usr/bin/env node
// Builds the optional native addon (build/Release/procpt_native.node) with node-gyp. Never fails the
// install or build: on any error it records the reason in build/native-build-error.txt, which the loader
// reports as `available: false`, and exits 0. Skips work when the addon is newer than its sources.
// Flags: --force (rebuild even if up to date). Env: PROCPT_NATIVE_SKIP_BUILD=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'procpt_native.node');
const errorFile = join(root, 'build', 'native-build-error.txt');
const force = process.argv.includes('--force');

function record(reason) {
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(errorFile, `${reason}\n`);
  console.warn(
    `@procpt/backend-native: native addon not built (${reason.replace(/\s+/g, ' ').slice(0, 200)}); procpt will use the wasm backend.`,
  );
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  const sources = [
    join(root, 'binding.gyp'),
    ...readdirSync(join(root, 'native')).map((f) => join(root, 'native', f)),
  ];
  return sources.every((f) => statSync(f).mtimeMs <= built);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package: fine, the other candidates may exist
  }
  return candidates.find((c) => c && existsSync(c));
}

function main() {
  if (process.env.PROCPT_NATIVE_SKIP_BUILD === '1') return record('skipped: PROCPT_NATIVE_SKIP_BUILD=1');
  if (!force && upToDate()) return;
  const gyp = findNodeGyp();
  if (!gyp) return record('node-gyp not found (install npm, or add node-gyp to the project)');
  // Use the running Node's own headers when they are installed (no download needed, works offline).
  const prefixes = [dirname(dirname(process.execPath)), process.config.variables.node_prefix].filter(Boolean);
  const prefix = prefixes.find((p) => existsSync(join(p, 'include', 'node', 'common.gypi')));
  const args = [gyp, 'rebuild', '--release'];
  if (prefix) args.push(`--nodedir=${prefix}`);
  rmSync(errorFile, { force: true });
  let last = '';
  // Built on the machine that runs it: -march=native first, portable x86-64-v2 / generic as fallbacks.
  for (const march of ['native', 'x86-64-v2', '']) {
    const extra = march ? [`--procpt_march=${march}`] : ['--procpt_march=x86-64'];
    const r = spawnSync(process.execPath, [...args, ...extra], {
      cwd: root,
      encoding: 'utf8',
      env: process.env,
    });
    if (r.status === 0 && existsSync(addon)) return;
    last = `${r.error?.message ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  }
  record(`node-gyp build failed:\n${last}`);
}

try {
  main();
} catch (e) {
  record(`build script error: ${e instanceof Error ? e.message : String(e)}`);
}
