import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nativeSourceFiles, nativeSourceHash } from '../scripts/native-sources.mjs';
import { buildCommand, loadAddon, PREBUILT_PLATFORMS, resolveAddon } from './addon.js';
import { nativeBackendInfo } from './backend.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const here = `${process.platform}-${process.arch}`;
const glibc = Boolean(
  (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime,
);
const prebuiltHere = PREBUILT_PLATFORMS.includes(here) && glibc;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
/** A scratch package root with a copy of native/ (so the source hash matches) and nothing built. */
function scratchRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'procpt-loader-'));
  temps.push(dir);
  for (const f of nativeSourceFiles(root)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  return dir;
}
/** Puts `bytes` as the prebuilt for linux-<arch> in `dir`, with a manifest for the sources in `dir`. */
function putPrebuilt(dir: string, arch: string, bytes: Buffer | string): string {
  const out = join(dir, 'prebuilds', `linux-${arch}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'procpt_native.node'), bytes);
  const manifest = { sources: nativeSourceHash(dir), sha256: sha256(join(out, 'procpt_native.node')) };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
  return join(out, 'procpt_native.node');
}

describe('prebuilt binaries (prebuilds/, scripts/prebuild.mjs)', () => {
  for (const key of PREBUILT_PLATFORMS) {
    it(`${key}: present, built from the native/ sources beside it, unaltered`, () => {
      const dir = join(root, 'prebuilds', key);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      expect(`${manifest.platform}-${manifest.arch}`).toBe(key);
      expect(manifest.libc).toBe('glibc');
      // stale after a change to native/: rebuild with `pnpm --filter @procpt/backend-native make-prebuilds`
      expect(manifest.sources, `${key} prebuilt is stale: run make-prebuilds`).toBe(nativeSourceHash(root));
      expect(sha256(join(dir, manifest.file))).toBe(manifest.sha256);
      expect(manifest.tiers).toEqual(key === 'linux-x64' ? ['avx512', 'avx2', 'base'] : ['base']);
    });
  }

  // The baseline code of the x64 binary must run on any x86-64: VEX/EVEX (AVX, AVX-512) and BMI/LZCNT/MOVBE
  // instructions may only appear in the avx2/avx512 tiers, which dispatch.cc enters only when the CPU has them.
  const objdump = spawnSync('objdump', ['--version']).status === 0;
  it.runIf(objdump)('x64: AVX/AVX-512/BMI instructions only inside the avx2 and avx512 tiers', () => {
    const file = join(root, 'prebuilds', 'linux-x64', 'procpt_native.node');
    const asm = execFileSync('objdump', ['-d', '-C', '--no-show-raw-insn', file], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    const wide =
      /^\s*[0-9a-f]+:\s+(v(?!err|erw|m[a-z])[a-z0-9]+|andn|bextr|blsi|blsmsk|blsr|bzhi|[ls]hlx|s[ah]rx|shrx|rorx|pdep|pext|mulx|lzcnt|tzcnt|movbe)\s/;
    const offenders = new Set<string>();
    const tiers = { avx2: { ymm: false, zmm: false }, avx512: { ymm: false, zmm: false } };
    let fn = '';
    for (const line of asm.split('\n')) {
      const head = /^[0-9a-f]+ <(.*)>:$/.exec(line);
      if (head) {
        fn = head[1]!;
        continue;
      }
      const tier = /procpt::(avx2|avx512)::/.exec(fn)?.[1] as 'avx2' | 'avx512' | undefined;
      if (tier) {
        if (line.includes('%ymm')) tiers[tier].ymm = true;
        if (line.includes('%zmm')) tiers[tier].zmm = true;
      } else if (wide.test(line)) offenders.add(fn);
    }
    expect([...offenders]).toEqual([]);
    expect(tiers).toEqual({ avx2: { ymm: true, zmm: false }, avx512: { ymm: true, zmm: true } });
  });
});

describe('loading order: the prebuilt for this platform, then a local build, then none (reasons recorded)', () => {
  it.runIf(prebuiltHere)(`${here}: the prebuilt loads here, without a local build`, () => {
    const load = resolveAddon({ skipLocal: true });
    expect(load.addon).not.toBeNull();
    expect(load).toMatchObject({ source: 'prebuilt', label: `prebuilt ${here}`, skipped: [] });
    expect(load.addon && 'path' in load ? load.path : '').toBe(
      join(root, 'prebuilds', here, 'procpt_native.node'),
    );
    // what the backend (and so the tests of every package) actually uses
    expect(loadAddon()).toMatchObject({ source: 'prebuilt', label: `prebuilt ${here}` });
    const info = nativeBackendInfo();
    expect(info).toMatchObject({ available: true, source: 'prebuilt', binary: `prebuilt ${here}` });
    expect(info.isas).toContain(info.isa);
    expect(info.isaLabel).toBeTruthy();
  });

  it('no prebuilt for the platform and no local build: the reasons and a build command for this copy', () => {
    const dir = scratchRoot();
    const load = resolveAddon({ root: dir, platform: 'darwin', arch: 'arm64' });
    expect(load.addon).toBeNull();
    expect(load.skipped).toEqual([
      'no prebuilt binary for darwin-arm64 (prebuilt: linux-x64, linux-arm64)',
      'no local build (native/build/Release)',
    ]);
    expect(!load.addon && load.reason).toBe(
      `${load.skipped.join('; ')}; build it from source with: node ${JSON.stringify(join(dir, 'scripts', 'build-native.mjs'))} --force (needs g++ and Python 3)`,
    );
    expect(buildCommand(root)).toBe(
      `node ${JSON.stringify(join(root, 'scripts', 'build-native.mjs'))} --force`,
    );
    expect(existsSync(join(root, 'scripts', 'build-native.mjs'))).toBe(true);
  });

  it('a recorded build failure is reported; musl and missing binaries are misses too', () => {
    const dir = scratchRoot();
    mkdirSync(join(dir, 'native', 'build'), { recursive: true });
    writeFileSync(
      join(dir, 'native', 'build', 'native-build-error.txt'),
      'node-gyp build failed:\ngyp info spawn make\n../gemm.cc:1:10: fatal error: omp.h: No such file\n',
    );
    const musl = resolveAddon({ root: dir, platform: 'linux', arch: 'x64', libc: 'musl' });
    expect(musl.skipped).toEqual([
      "the prebuilt linux-x64 binary needs glibc, this system's C library is musl",
      'local build failed (../gemm.cc:1:10: fatal error: omp.h: No such file)',
    ]);
    const missing = resolveAddon({ root: dir, platform: 'linux', arch: 'arm64', libc: 'glibc' });
    expect(missing.skipped[0]).toBe(
      `prebuilt linux-arm64 binary missing (${join(dir, 'prebuilds', 'linux-arm64', 'procpt_native.node')})`,
    );
  });

  it.runIf(prebuiltHere)(
    'a corrupt prebuilt is skipped with its loader error and the local build loads',
    () => {
      const dir = scratchRoot();
      putPrebuilt(dir, process.arch, 'not an ELF file');
      const local = join(dir, 'native', 'build', 'Release', 'procpt_native.node');
      mkdirSync(dirname(local), { recursive: true });
      cpSync(join(root, 'prebuilds', here, 'procpt_native.node'), local);
      const load = resolveAddon({ root: dir });
      expect(load).toMatchObject({ source: 'local', label: 'local build', path: local });
      expect(load.skipped).toHaveLength(1);
      expect(load.skipped[0]).toMatch(new RegExp(`^prebuilt ${here} failed to load: .*(ELF|too short)`));
    },
  );

  it.runIf(prebuiltHere)('a prebuilt built from other sources (stale) is skipped', () => {
    const dir = scratchRoot();
    putPrebuilt(dir, process.arch, readFileSync(join(root, 'prebuilds', here, 'procpt_native.node')));
    writeFileSync(join(dir, 'native', 'ops.cc'), `${readFileSync(join(dir, 'native', 'ops.cc'), 'utf8')}\n`);
    const load = resolveAddon({ root: dir });
    expect(load.addon).toBeNull();
    expect(load.skipped[0]).toBe(
      `prebuilt ${here} binary is stale (built from other native/ sources; refresh with 'pnpm --filter @procpt/backend-native make-prebuilds')`,
    );
  });

  it.runIf(prebuiltHere)(
    'PROCPT_NATIVE=0 disables it; PROCPT_NATIVE_ISA picks a lower tier or fails clearly',
    () => {
      expect(resolveAddon({ env: { PROCPT_NATIVE: '0' } })).toEqual({
        addon: null,
        reason: 'disabled by PROCPT_NATIVE=0',
        skipped: [],
      });
      // a private copy of the binary (its own module instance), so the tier switch does not touch the shared addon
      const dir = scratchRoot();
      putPrebuilt(dir, process.arch, readFileSync(join(root, 'prebuilds', here, 'procpt_native.node')));
      const base = resolveAddon({ root: dir, env: { PROCPT_NATIVE_ISA: 'base' } });
      expect(base.addon?.info()).toMatchObject({ isa: 'base', avx2: false, lanes: 1 });
      const bogus = resolveAddon({ root: dir, env: { PROCPT_NATIVE_ISA: 'sse5' } });
      expect(bogus.addon).toBeNull();
      expect(!bogus.addon && bogus.reason).toMatch(
        new RegExp(
          `^PROCPT_NATIVE_ISA=sse5 is not a CPU tier of the prebuilt ${here} binary that this CPU runs \\(it runs: .*base\\)$`,
        ),
      );
    },
  );
});
