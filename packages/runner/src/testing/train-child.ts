// Test helper (not part of the package API): runs one training config in a separate process so
// a test can SIGKILL it mid-run. Usage: node child.mjs <config.json>
import { readFile } from 'node:fs/promises';
import { resolveRunConfig } from '../recipes.js';
import { runTraining } from '../run.js';

const path = process.argv[2];
if (!path) throw new Error('usage: train-child <config.json>');
const config = resolveRunConfig(JSON.parse(await readFile(path, 'utf8')));
await runTraining(config, { progress: false });
process.stdout.write('done\n');
