// The inputs of the native build (native/: the C++ sources and binding.gyp, without build outputs) and their
// hash, which each prebuilt's manifest records: the loader skips a prebuilt whose hash differs from the sources
// beside it, and the tests fail on one, so a stale binary can neither load nor be committed unnoticed.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths (relative to the package root, `/`-separated, sorted) of every file under native/ except native/build. */
export function nativeSourceFiles(root) {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (path !== 'native/build') walk(path);
      } else if (entry.isFile()) out.push(path);
    }
  };
  walk('native');
  return out.sort();
}

/** SHA-256 (hex) over the path, length and bytes of every native source file. */
export function nativeSourceHash(root) {
  const hash = createHash('sha256');
  for (const path of nativeSourceFiles(root)) {
    const bytes = readFileSync(join(root, path));
    hash.update(`${path}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
