// Where tests find the @procpt/* packages' sources, so they run before (and without) a build: `@procpt/x` is
// `packages/x/src/index.ts`, and a subpath export `@procpt/x/y` (built as ./dist/y.js) is `packages/x/src/y.ts`.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = resolve(fileURLToPath(new URL('../../packages', import.meta.url)));

/** Import specifier → source file, for package directory `name` (e.g. `model`): its main entry and subpaths. */
export function packageSources(name: string): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')) as {
    exports?: Record<string, string | { import?: string }>;
  };
  const sources: Record<string, string> = { [`@procpt/${name}`]: join(packagesDir, name, 'src', 'index.ts') };
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    const built = /^\.\/dist\/(.+)\.js$/.exec((typeof target === 'string' ? target : target.import) ?? '');
    if (key.startsWith('./') && built && built[1] !== 'index')
      sources[`@procpt/${name}${key.slice(1)}`] = join(packagesDir, name, 'src', `${built[1]}.ts`);
  }
  return sources;
}
