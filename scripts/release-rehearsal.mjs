#!/usr/bin/env node
// The release rehearsal: checks what `changeset version` made of the pending changesets in a copy of the
// repository (scripts/registry-check.sh makes the copy and runs `changeset version` there; the checkout is
// never modified). Usage: node scripts/release-rehearsal.mjs BEFORE_DIR AFTER_DIR
//
// Sane means: every public package that a changeset names got a new version, no other package changed
// version except by a dependency update (a patch), no 0.x package jumped to 1.0 (pre-1.0, a breaking change
// is a minor bump), each new version has its CHANGELOG.md section, no changeset is left behind (a changeset
// that names only an ignored or private package never releases anything), and no published manifest points
// at a private package. Prints the version table.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Public and private packages of a checkout: name → { dir, version, private, manifest }. */
export function readPackages(root) {
  const out = new Map();
  for (const dir of readdirSync(join(root, 'packages'))) {
    const file = join(root, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8'));
    out.set(manifest.name, { dir, version: manifest.version, private: Boolean(manifest.private), manifest });
  }
  return out;
}

/** The pending changesets of a checkout: [{ file, releases: { name: bump } }]. */
export function readChangesets(root) {
  const dir = join(root, '.changeset');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
      const releases = {};
      for (const line of front.split('\n')) {
        const m = /^\s*['"]?([^'":]+)['"]?\s*:\s*(major|minor|patch)\s*$/.exec(line);
        if (m) releases[m[1]] = m[2];
      }
      return { file, releases };
    });
}

const major = (v) => Number(v.split('.')[0]);

export function checkRehearsal(beforeRoot, afterRoot) {
  const before = readPackages(beforeRoot);
  const after = readPackages(afterRoot);
  const changesets = readChangesets(beforeRoot);
  const left = readChangesets(afterRoot);
  const problems = [];
  const named = new Set(changesets.flatMap((c) => Object.keys(c.releases)));
  const rows = [];
  for (const [name, b] of before) {
    const a = after.get(name);
    if (!a) {
      problems.push(`${name} is missing after versioning`);
      continue;
    }
    rows.push({ name, from: b.version, to: a.version, private: b.private });
    if (b.private) continue;
    const changed = a.version !== b.version;
    if (named.has(name) && !changed) problems.push(`${name}: named by a changeset, still ${b.version}`);
    if (changed) {
      if (major(b.version) === 0 && major(a.version) >= 1)
        problems.push(`${name}: ${b.version} → ${a.version}; before 1.0 a breaking change is a minor bump`);
      const log = join(afterRoot, 'packages', a.dir, 'CHANGELOG.md');
      const first = existsSync(log) ? /^## (.+)$/m.exec(readFileSync(log, 'utf8'))?.[1] : undefined;
      if (first !== a.version)
        problems.push(`${name}: CHANGELOG.md's first section is ${first}, not ${a.version}`);
    }
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dep of Object.keys(a.manifest[field] ?? {})) {
        if (after.get(dep)?.private) problems.push(`${name} ${field} names the private ${dep}`);
      }
    }
  }
  for (const c of changesets) {
    for (const name of Object.keys(c.releases)) {
      if (!before.has(name)) problems.push(`.changeset/${c.file} names ${name}, which is no package`);
      else if (before.get(name).private)
        problems.push(`.changeset/${c.file} names the private ${name} (its changes ship in @procpt/cli)`);
    }
  }
  for (const c of left) problems.push(`.changeset/${c.file} was not consumed by changeset version`);
  return { rows, problems, pending: changesets.length };
}

if (process.argv[1]?.endsWith('release-rehearsal.mjs')) {
  const [beforeRoot, afterRoot] = process.argv.slice(2);
  if (!beforeRoot || !afterRoot) {
    console.error('usage: release-rehearsal.mjs BEFORE_DIR AFTER_DIR');
    process.exit(2);
  }
  const { rows, problems, pending } = checkRehearsal(beforeRoot, afterRoot);
  console.log(`release rehearsal: ${pending} pending changesets`);
  for (const r of rows) {
    const note = r.private ? ' (private, not published)' : r.from === r.to ? ' (unchanged)' : '';
    console.log(`  ${r.name.padEnd(26)} ${r.from} → ${r.to}${note}`);
  }
  if (problems.length > 0) {
    console.error(`release rehearsal failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log('release rehearsal: versions and changelogs are sane');
}
