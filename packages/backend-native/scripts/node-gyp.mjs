// node-gyp and Node headers for building the addon (scripts/build-native.mjs, scripts/prebuild.mjs).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** node-gyp's entry script: npm_config_node_gyp, npm's bundled copy, or an installed node-gyp package. */
export function findNodeGyp() {
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

/** The running Node's own install prefix when its headers are there (no download, works offline). */
export function nodeHeadersDir() {
  const prefixes = [dirname(dirname(process.execPath)), process.config.variables.node_prefix].filter(Boolean);
  return prefixes.find((p) => existsSync(join(p, 'include', 'node', 'common.gypi')));
}
