import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { ProcptError } from '@procpt/core';

const GLOB_CHARS = /[*?{[]/;

/**
 * A glob as a RegExp over `/`-separated paths: `*` (within a segment), `**` (any depth, also
 * zero segments), `?`, `{a,b}` alternatives and `[abc]` classes. A pattern without `/` matches
 * the base name at any depth (`*.py` ≡ `**\/*.py`), as .gitignore-style filters do.
 */
export function globToRegExp(pattern: string): RegExp {
  const p = pattern.includes('/') ? pattern.replace(/^\.\//, '') : `**/${pattern}`;
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '*') {
      if (p[i + 1] === '*') {
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = p.indexOf('}', i);
      if (end < 0) throw new ProcptError('usage', `unclosed { in glob ${JSON.stringify(pattern)}`);
      re += `(?:${p
        .slice(i + 1, end)
        .split(',')
        .map((s) => s.replace(/[.+^$()|\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
        .join('|')})`;
      i = end;
    } else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) throw new ProcptError('usage', `unclosed [ in glob ${JSON.stringify(pattern)}`);
      re += `[${p.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else re += c.replace(/[.+^$()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Include/exclude filters of {@link listCorpusFiles}. */
export interface FileFilter {
  /** Keep only files matching one of these globs (relative to the input directory). */
  include?: readonly string[];
  /** Drop files matching one of these globs. */
  exclude?: readonly string[];
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Expands inputs — files, directories (recursive, hidden names skipped) and globs such as
 * `data/c4-train.*.json.gz` — into a sorted, de-duplicated file list, filtered by `include` /
 * `exclude` globs matched against each file's path relative to its input.
 */
export async function listCorpusFiles(
  inputs: string | readonly string[],
  filter: FileFilter = {},
): Promise<string[]> {
  const include = (filter.include ?? []).map(globToRegExp);
  const exclude = (filter.exclude ?? []).map(globToRegExp);
  const keep = (rel: string) => {
    const path = rel.split(sep).join('/');
    return (include.length === 0 || include.some((r) => r.test(path))) && !exclude.some((r) => r.test(path));
  };
  const files = new Set<string>();
  for (const input of typeof inputs === 'string' ? [inputs] : inputs) {
    if (GLOB_CHARS.test(input)) {
      // walk from the longest literal directory prefix and match the whole pattern
      const parts = input.split('/');
      const firstGlob = parts.findIndex((s) => GLOB_CHARS.test(s));
      const base = parts.slice(0, firstGlob).join('/') || '.';
      const pattern = globToRegExp(
        parts.slice(firstGlob).join('/').includes('/')
          ? parts.slice(firstGlob).join('/')
          : `./${parts.slice(firstGlob).join('/')}`,
      );
      const found: string[] = [];
      await walk(base, found).catch((error: unknown) => {
        throw new ProcptError('usage', `cannot read ${base} (from glob ${input})`, { cause: error });
      });
      for (const f of found) {
        const rel = relative(base, f).split(sep).join('/');
        if (pattern.test(rel) && keep(rel)) files.add(f);
      }
      continue;
    }
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(input);
    } catch (error) {
      throw new ProcptError('usage', `input ${input} does not exist or cannot be read`, {
        hint: 'pass files, directories or globs (quote globs so the shell does not expand them)',
        cause: error,
      });
    }
    if (info.isFile()) files.add(input);
    else {
      const found: string[] = [];
      await walk(input, found);
      for (const f of found) if (keep(relative(input, f))) files.add(f);
    }
  }
  if (files.size === 0) {
    throw new ProcptError('usage', `no input files in ${JSON.stringify(inputs)}`, {
      hint: 'check the paths and the --include/--exclude globs (hidden files are skipped)',
    });
  }
  return [...files].sort(byPath);
}
