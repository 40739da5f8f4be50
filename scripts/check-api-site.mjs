#!/usr/bin/env node
// Checks the generated API site (pnpm run docs): every public package has its page (the address its README
// links), and the pages of other packages link @procpt/core's types (cross-package links resolved).
// Usage: node scripts/check-api-site.mjs [SITE_DIR]   (default docs/api)
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './docs-examples.mjs';

const site = process.argv[2] ?? join(repoRoot, 'docs', 'api');
const problems = [];
for (const dir of readdirSync(join(repoRoot, 'packages'))) {
  const file = join(repoRoot, 'packages', dir, 'package.json');
  if (!existsSync(file) || JSON.parse(readFileSync(file, 'utf8')).private) continue;
  if (!existsSync(join(site, 'modules', `_procpt_${dir}.html`)))
    problems.push(`no page modules/_procpt_${dir}.html`);
}
// A type of one package used in another's signature must link to its page, e.g. procgen's generatorSource
// returns @procpt/core's DataSource.
const crossLinks = [
  ['functions/_procpt_procgen.generatorSource.html', '_procpt_core.DataSource.html'],
  ['interfaces/_procpt_trainer-gpu.TrainerOptions.html', '_procpt_core.DataSource.html'],
  ['classes/_procpt_eval.DiagnosticDataset.html', '_procpt_core.Sample.html'],
];
for (const [page, target] of crossLinks) {
  const path = join(site, page);
  if (!existsSync(path)) problems.push(`no page ${page}`);
  else if (
    !new RegExp(`href="(\\.\\./interfaces/)?${target.replaceAll('.', '\\.')}"`).test(
      readFileSync(path, 'utf8'),
    )
  )
    problems.push(`${page} does not link ${target}`);
}
let linked = 0;
for (const kind of ['classes', 'functions', 'interfaces', 'types', 'variables']) {
  if (!existsSync(join(site, kind))) continue;
  for (const f of readdirSync(join(site, kind))) {
    if (f.startsWith('_procpt_core.')) continue;
    if (readFileSync(join(site, kind, f), 'utf8').includes('_procpt_core.')) linked++;
  }
}
if (problems.length > 0) {
  console.error(`API site ${site}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(
  `API site ${site}: a page per package; ${linked} pages of other packages link @procpt/core's types`,
);
