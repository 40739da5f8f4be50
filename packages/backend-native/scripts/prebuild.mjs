#!/usr/bin/env node
// Builds the prebuilt binaries the package ships, prebuilds/linux-<arch>/procpt_native.node, with node-gyp from
// native/binding.gyp (procpt_prebuilt=1), plus a manifest.json beside each: the hash of the native/ sources it
// was built from (scripts/native-sources.mjs), its own SHA-256, the compiler, the CPU tiers it carries and what it
// needs at run time (glibc version, shared libraries). The loader only uses a prebuilt whose source hash matches
// the sources beside it, and the package's tests fail on a stale or altered one.
//
//   node scripts/prebuild.mjs                 # both: linux-x64 (host g++) and linux-arm64 (Debian's cross g++)
//   node scripts/prebuild.mjs --arch=x64      # one
//   node scripts/prebuild.mjs --check         # verify the committed ones against native/ (exit 1 when stale)
//
// linux-x64 needs g++ on an x86-64 Linux host; linux-arm64 needs `apt-get install g++-aarch64-linux-gnu` there
// (or g++ on an arm64 host). Both need Python 3 and node-gyp (npm's bundled one is used) and the Node headers
// (the running Node's own when installed, else node-gyp downloads them). The sources are copied to a temporary
// directory first, so a local build in native/build is left alone.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findNodeGyp, nodeHeadersDir } from './node-gyp.mjs';
import { nativeSourceFiles, nativeSourceHash } from './native-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The prebuilds the package ships: linux (glibc) on x86-64 and arm64. */
export const PREBUILT_ARCHES = ['x64', 'arm64'];
const TIERS = { x64: ['avx512', 'avx2', 'base'], arm64: ['base'] };
const HOST_ARCH = process.arch;

function toolchain(arch) {
  if (arch === HOST_ARCH) return { env: {}, cxx: process.env.CXX ?? 'g++', objdump: 'objdump' };
  if (arch === 'arm64' && HOST_ARCH === 'x64') {
    const p = 'aarch64-linux-gnu-';
    return {
      env: { CC: `${p}gcc`, CXX: `${p}g++`, LINK: `${p}g++`, AR: `${p}ar` },
      cxx: `${p}g++`,
      objdump: `${p}objdump`,
      install: 'apt-get install g++-aarch64-linux-gnu',
    };
  }
  throw new Error(`prebuild: cannot build linux-${arch} on ${process.platform}-${HOST_ARCH}`);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${`${r.stdout}${r.stderr}`.trim()}`);
  return r.stdout;
}

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Highest symbol version of each versioned dependency (GLIBC, GLIBCXX, GOMP, ...) and the DT_NEEDED libraries. */
function requirements(objdump, file) {
  const versions = {};
  for (const m of run(objdump, ['-T', file]).matchAll(/\b([A-Z]+)_(\d+(?:\.\d+)*)\b/g)) {
    const [, lib, v] = m;
    const cmp = (a, b) => {
      const x = a.split('.').map(Number);
      const y = b.split('.').map(Number);
      for (let i = 0; i < Math.max(x.length, y.length); i++)
        if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
      return 0;
    };
    if (versions[lib] === undefined || cmp(v, versions[lib]) > 0) versions[lib] = v;
  }
  const libraries = [...run(objdump, ['-p', file]).matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
  return { glibc: versions.GLIBC, glibcxx: versions.GLIBCXX, libraries };
}

function build(arch) {
  const started = Date.now();
  const tc = toolchain(arch);
  const probe = spawnSync(tc.cxx, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(`prebuild linux-${arch}: ${tc.cxx} not found${tc.install ? ` (${tc.install})` : ''}`);
  const compiler = probe.stdout.split('\n')[0].trim();
  const gyp = findNodeGyp();
  if (!gyp) throw new Error('prebuild: node-gyp not found (it comes with npm)');
  const work = mkdtempSync(join(tmpdir(), `procpt-prebuild-${arch}-`));
  try {
    for (const file of nativeSourceFiles(root)) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      cpSync(join(root, file), join(work, file));
    }
    const args = [gyp, 'rebuild', '--release', `--arch=${arch}`, `--jobs=${availableParallelism()}`];
    const headers = nodeHeadersDir();
    if (headers) args.push(`--nodedir=${headers}`);
    args.push('--procpt_prebuilt=1');
    run(process.execPath, args, { cwd: join(work, 'native'), env: { ...process.env, ...tc.env } });
    const out = join(root, 'prebuilds', `linux-${arch}`);
    mkdirSync(out, { recursive: true });
    const file = join(out, 'procpt_native.node');
    cpSync(join(work, 'native', 'build', 'Release', 'procpt_native.node'), file);
    const manifest = {
      platform: 'linux',
      arch,
      libc: 'glibc',
      file: 'procpt_native.node',
      sha256: sha256(file),
      sources: nativeSourceHash(root),
      napi: 8,
      tiers: TIERS[arch],
      compiler,
      requires: requirements(tc.objdump, file),
    };
    writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(
      `prebuild linux-${arch}: ${file} (${(readFileSync(file).length / 1024).toFixed(0)} KiB, ${compiler}, ` +
        `glibc >= ${manifest.requires.glibc}, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Problems of the committed prebuilds (missing, stale, altered); empty when all match native/. */
export function checkPrebuilds(pkgRoot = root) {
  const problems = [];
  const sources = nativeSourceHash(pkgRoot);
  for (const arch of PREBUILT_ARCHES) {
    const dir = join(pkgRoot, 'prebuilds', `linux-${arch}`);
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      problems.push(`linux-${arch}: no prebuilt (${manifestPath} missing)`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    const file = join(dir, manifest.file ?? 'procpt_native.node');
    if (manifest.sources !== sources)
      problems.push(`linux-${arch}: stale (built from other native/ sources)`);
    if (!existsSync(file)) problems.push(`linux-${arch}: ${file} missing`);
    else if (sha256(file) !== manifest.sha256)
      problems.push(`linux-${arch}: ${file} differs from its manifest`);
  }
  const extra = existsSync(join(pkgRoot, 'prebuilds'))
    ? readdirSync(join(pkgRoot, 'prebuilds')).filter((d) => !PREBUILT_ARCHES.some((a) => d === `linux-${a}`))
    : [];
  for (const d of extra) problems.push(`prebuilds/${d}: not a prebuilt this script makes`);
  return problems;
}

function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--check')) {
    const problems = checkPrebuilds();
    if (problems.length === 0) {
      console.log(`prebuilds: ${PREBUILT_ARCHES.map((a) => `linux-${a}`).join(', ')} match native/`);
      return;
    }
    console.error(
      `prebuilds do not match native/:\n  ${problems.join('\n  ')}\nrebuild them with: pnpm --filter @procpt/backend-native make-prebuilds`,
    );
    process.exit(1);
  }
  if (process.platform !== 'linux') throw new Error('prebuild: the prebuilt binaries are built on Linux');
  const archArg = argv.find((a) => a.startsWith('--arch='))?.slice('--arch='.length);
  const arches = archArg ? archArg.split(',') : PREBUILT_ARCHES;
  for (const arch of arches) {
    if (!PREBUILT_ARCHES.includes(arch)) throw new Error(`prebuild: --arch must be among ${PREBUILT_ARCHES}`);
    build(arch);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
