#!/usr/bin/env node
// The code examples of the READMEs and docs/: extracted, checked and run, so that they cannot rot.
//
// Convention (the fence's info string, after the language):
//   ```ts runnable      run: TypeScript is compiled with tsc (strict, NodeNext) and run with node
//   ```sh runnable      run with bash -euo pipefail; `procpt` and `npx procpt` are the CLI
//   ```sh install       the README's install line (npm i … / pnpm add …): the registry check runs it
//   ```sh no-run: why   shown, never run (needs a GPU, PyTorch, hours…); the reason is required
// Every ts/js/sh block of a README or a docs/ page carries one of these markers; other languages (yaml,
// json, text, mermaid) are not examples. The runnable blocks of one file run in order, in one working
// directory, so a block may use what an earlier one wrote.
//
// Used by scripts/docs-examples.test.ts (against the built workspace packages) and by
// scripts/registry-check.sh (against the packages installed from a registry, with npm and with pnpm):
//   node scripts/docs-examples.mjs run --project DIR [--only ts|sh] FILE.md…
//                                                                compile and run FILE's runnable blocks in DIR,
//                                                                whose node_modules has the packages and typescript
//   node scripts/docs-examples.mjs run --workspace FILE.md…      the same against the built workspace packages
//                                                                (what the test does; after pnpm build)
//   node scripts/docs-examples.mjs install-line FILE.md          the packages of FILE's install line, one a line
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where the generated API site is published (docs/releasing.md): each package README links its page. */
export const API_DOCS_BASE = 'https://procpt.github.io/procpt/';
/** Package READMEs link repository files absolutely, so that the links also work on npm. */
export const REPO_BLOB = 'https://github.com/procpt/procpt/blob/main/';

const LANGS = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', sh: 'sh', bash: 'sh', shell: 'sh' };

/**
 * The fenced code blocks of a Markdown text.
 * @param {string} text
 * @param {string} file the file's path, for messages
 * @returns {{ file: string, line: number, end: number, lang: string, example: boolean, marker: string | null, reason: string, code: string }[]}
 */
export function extractBlocks(text, file) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    // CommonMark: the info string of a backtick fence has no backtick (so ```` ```ts ```` in prose is no fence).
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i] ?? '');
    if (!open || (open[2]?.startsWith('`') && (open[4] ?? '').includes('`'))) continue;
    const [, indent = '', fence = '', info = '', rest = ''] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const lang = LANGS[info.toLowerCase()] ?? info.toLowerCase();
    const marker = /^(runnable|install|no-run)\b:?\s*(.*)$/.exec(rest.trim());
    blocks.push({
      file,
      line: i + 1,
      lang,
      example: lang === 'ts' || lang === 'js' || lang === 'sh',
      marker: marker ? (marker[1] ?? null) : null,
      reason: marker ? (marker[2] ?? '').trim() : '',
      code: `${body.join('\n')}\n`,
      end: j + 1,
    });
    i = j;
  }
  return blocks;
}

/**
 * The Markdown links `[text](target)` of a text, outside code blocks and code spans.
 * @param {string} text
 * @returns {string[]}
 */
export function markdownLinks(text) {
  const lines = text.split('\n');
  for (const b of extractBlocks(text, '')) for (let l = b.line - 1; l < b.end; l++) lines[l] = '';
  const prose = lines.join('\n').replace(/(`+)[^`]*?\1/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

/** The Markdown files whose examples are checked: every README.md and docs/*.md (not the generated docs/api). */
export function docFiles(root = repoRoot) {
  const out = [];
  const skip = new Set(['node_modules', 'dist', 'build', '.git', '.turbo', 'runs', 'api', '.changeset']);
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name) || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'README.md') out.push(relative(root, path));
    }
  };
  walk(root);
  for (const name of readdirSync(join(root, 'docs'))) if (name.endsWith('.md')) out.push(join('docs', name));
  return out.sort();
}

/**
 * The packages an install block names, e.g. `npm i @procpt/model @tensorflow/tfjs-core@4.22.0`.
 * @param {string} code
 * @returns {string[]}
 */
export function installPackages(code) {
  const specs = [];
  for (const raw of code.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    const isInstall =
      (words[0] === 'npm' && (words[1] === 'i' || words[1] === 'install')) ||
      (words[0] === 'pnpm' && words[1] === 'add');
    if (!isInstall) throw new Error(`not an install line: ${line}`);
    specs.push(...words.slice(2).filter((w) => !w.startsWith('-')));
  }
  return specs;
}

/** The single install block of a Markdown text, or null. */
export function installBlock(file, root = repoRoot) {
  const blocks = extractBlocks(readFileSync(join(root, file), 'utf8'), file).filter(
    (b) => b.marker === 'install',
  );
  if (blocks.length > 1) throw new Error(`${file}: more than one install block`);
  return blocks[0] ?? null;
}

/**
 * Makes `project` (outside the workspace) a consumer of the built workspace packages: node_modules links
 * every `@procpt/*` package, typescript, the third-party packages the examples of `files` import, and a
 * `procpt` bin. What the registry check gets from an install, without a registry.
 * @param {string} project
 * @param {string[]} files
 */
export function linkWorkspace(project, files, root = repoRoot) {
  const packagesDir = join(root, 'packages');
  const names = readdirSync(packagesDir).filter((n) => existsSync(join(packagesDir, n, 'package.json')));
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '@procpt'), { recursive: true });
  mkdirSync(join(modules, '.bin'), { recursive: true });
  for (const n of names) {
    if (!existsSync(join(packagesDir, n, 'dist')))
      throw new Error(`packages/${n}/dist is missing: run pnpm build first`);
    symlinkSync(join(packagesDir, n), join(modules, '@procpt', n), 'dir');
  }
  symlinkSync(join(root, 'node_modules', 'typescript'), join(modules, 'typescript'), 'dir');
  const bin = join(modules, '.bin', 'procpt');
  writeFileSync(
    bin,
    `#!/bin/sh\nexec "${process.execPath}" "${join(packagesDir, 'cli', 'dist', 'bin.js')}" "$@"\n`,
  );
  chmodSync(bin, 0o755);
  const imported = new Set();
  for (const file of files) {
    const blocks = extractBlocks(readFileSync(join(root, file), 'utf8'), file);
    for (const b of blocks.filter((x) => x.marker === 'runnable' && x.lang !== 'sh')) {
      for (const m of b.code.matchAll(/(?:from|import)\s+'([^'.][^']*)'/g)) {
        const spec = m[1] ?? '';
        if (spec.startsWith('node:') || spec.startsWith('@procpt/')) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  }
  for (const dep of imported) {
    const from = names.map((n) => join(packagesDir, n, 'node_modules', dep)).find((p) => existsSync(p));
    if (!from) throw new Error(`no workspace package depends on ${dep}, which an example imports`);
    mkdirSync(dirname(join(modules, dep)), { recursive: true });
    symlinkSync(from, join(modules, dep), 'dir');
  }
  writeFileSync(
    join(project, 'package.json'),
    '{ "name": "procpt-examples", "private": true, "type": "module" }\n',
  );
}

const slug = (file) => file.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    // A plain Node ESM consumer: what `tsc --init` users get, strict, checking the packages' .d.ts too.
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: [],
    outDir: 'out',
    rootDir: 'examples',
    sourceMap: false,
  },
  include: ['examples/*.ts'],
};

/**
 * Writes the runnable blocks of `files` into `project/examples`, compiles the TypeScript ones with the
 * project's typescript, and runs every block in order. Throws on the first failure, naming file and line.
 * @param {{ project: string, files: string[], root?: string, timeoutMs?: number, env?: Record<string, string>,
 *   log?: (line: string) => void, tsc?: string, only?: 'ts' | 'sh' }} options
 */
export async function runExamples(options) {
  const { project, files } = options;
  const root = options.root ?? repoRoot;
  const timeout = options.timeoutMs ?? 180_000;
  const log = options.log ?? (() => {});
  const examples = join(project, 'examples');
  rmSync(examples, { recursive: true, force: true });
  rmSync(join(project, 'out'), { recursive: true, force: true });
  mkdirSync(examples, { recursive: true });
  const plan = [];
  for (const file of files) {
    const blocks = extractBlocks(readFileSync(join(root, file), 'utf8'), file).filter(
      (b) => b.marker === 'runnable' && (!options.only || b.lang === options.only),
    );
    blocks.forEach((block, i) => {
      const name = `${slug(file)}-${i + 1}`;
      if (block.lang === 'ts') {
        writeFileSync(join(examples, `${name}.ts`), `// ${file}:${block.line}\n${block.code}`);
        plan.push({
          block,
          run: [process.execPath, [join(project, 'out', `${name}.js`)]],
          source: `${name}.ts`,
        });
      } else if (block.lang === 'js') {
        writeFileSync(join(examples, `${name}.mjs`), block.code);
        plan.push({ block, run: [process.execPath, [join(examples, `${name}.mjs`)]] });
      } else {
        plan.push({ block, run: ['bash', ['-euo', 'pipefail', '-c', block.code]] });
      }
    });
  }
  const env = {
    ...process.env,
    ...options.env,
    PATH: `${join(project, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    // Never prompt: npx runs the local bin.
    npm_config_yes: 'false',
    NO_COLOR: '1',
  };
  if (plan.some((p) => p.source)) {
    writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(CONSUMER_TSCONFIG, null, 2)}\n`);
    if (!existsSync(join(project, 'package.json')))
      writeFileSync(join(project, 'package.json'), '{"type":"module"}\n');
    const tsc = options.tsc ?? join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    log(`tsc -p ${project}`);
    const r = await run(process.execPath, [tsc, '-p', project, '--pretty', 'false'], { timeout, env });
    if (r.status !== 0) {
      // Point at the README line: examples/<name>.ts(L,C) → FILE.md:(block line + L - 1)
      const byName = new Map(plan.filter((p) => p.source).map((p) => [p.source, p.block]));
      const out = `${r.stdout}${r.stderr}`.replace(
        /examples\/([\w.-]+\.ts)\((\d+),(\d+)\)/g,
        (m, name, l) => {
          const block = byName.get(name);
          return block ? `${block.file}:${block.line + Number(l) - 1}` : m;
        },
      );
      // Errors in third-party declarations are not procpt's to fix (tfjs-core 4.22's .d.ts use the global
      // `Long` of @types/long, which a consumer only sees when its package manager hoists it): reported, not
      // fatal. Errors in an example or in a procpt package's .d.ts fail.
      const errors = out.split('\n').filter((line) => /error TS\d+/.test(line));
      const thirdParty = (line) =>
        /node_modules\//.test(line) && !/node_modules\/(\.pnpm\/)?@procpt[+/]/.test(line);
      const ours = errors.filter((line) => !thirdParty(line));
      if (ours.length > 0 || errors.length === 0)
        throw new Error(`the examples do not compile:\n${out || r.error}`);
      log(
        `note: errors in third-party declarations, not procpt's (skipLibCheck hides them):\n${indent(errors.join('\n'))}`,
      );
    }
  }
  for (const { block, run: command } of plan) {
    const cwd = join(project, 'work', slug(block.file));
    mkdirSync(cwd, { recursive: true });
    log(`${block.file}:${block.line} (${block.lang})`);
    const started = Date.now();
    const r = await run(command[0], command[1], { cwd, timeout, env });
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0) {
      const why = r.error ? String(r.error) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
      throw new Error(`${block.file}:${block.line}: the ${block.lang} example failed (${why}):\n${output}`);
    }
    log(
      `  ok in ${((Date.now() - started) / 1000).toFixed(1)} s${output.trim() ? `:\n${indent(output)}` : ''}`,
    );
  }
  return plan.length;
}

/**
 * Runs a command without blocking the event loop (the test runner talks to its workers meanwhile).
 * @returns {Promise<{ status: number | null, signal: string | null, stdout: string, stderr: string, error?: Error }>}
 */
function run(command, args, { cwd, timeout, env }) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({ status: null, signal: null, stdout, stderr, error });
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
}

/** The first and last lines of an output, indented. */
function indent(text) {
  const lines = text.trimEnd().split('\n');
  const shown =
    lines.length > 24 ? [...lines.slice(0, 12), `… ${lines.length - 20} lines …`, ...lines.slice(-8)] : lines;
  return shown.map((l) => `    ${l.length > 160 ? `${l.slice(0, 157)}…` : l}`).join('\n');
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'install-line') {
    const block = installBlock(rest[0]);
    if (!block) throw new Error(`${rest[0]} has no install block`);
    console.log(installPackages(block.code).join('\n'));
    return;
  }
  if (command === 'run') {
    const value = (flag) => {
      const at = rest.indexOf(flag);
      if (at < 0) return undefined;
      const v = rest[at + 1];
      if (!v) throw new Error(`${flag} needs a value`);
      rest.splice(at, 2);
      return v;
    };
    const dir = value('--project');
    const only = value('--only');
    const workspace = rest.includes('--workspace');
    if (!workspace && !dir) throw new Error('run needs --project DIR or --workspace');
    if (only && only !== 'ts' && only !== 'sh') throw new Error('--only takes ts or sh');
    const files = rest.filter((a) => a !== '--workspace');
    const project = workspace ? mkdtempSync(join(tmpdir(), 'procpt-examples-')) : resolve(dir);
    try {
      if (workspace) linkWorkspace(project, files);
      const n = await runExamples({ project, files, only, log: (line) => console.log(line) });
      console.log(`${n} examples ran`);
    } finally {
      if (workspace) rmSync(project, { recursive: true, force: true });
    }
    return;
  }
  throw new Error(
    'usage: docs-examples.mjs run (--project DIR | --workspace) [--only ts|sh] FILE.md… | install-line FILE.md',
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await main(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
