// Test helper (not part of the package API): runs a study plan in its own process so that a test can
// SIGKILL it mid-run, or (mode "exec-run") one run of a saved plan, as a `--jobs` worker does.
// Usage: node child.mjs <args.json> with {experiments, preset, out, backend} or {mode, out, id, backend}.
import { readFile } from 'node:fs/promises';
import { executeSavedRun, runStudy } from '../execute.js';
import { planStudy } from '../plan/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: study-child <args.json>');
const args = JSON.parse(await readFile(path, 'utf8'));
if (args.mode === 'exec-run') {
  await executeSavedRun(args.out, args.id, { backend: args.backend });
} else {
  await runStudy(planStudy(args.experiments, args.preset, args.out), {
    backend: args.backend,
    progress: false,
  });
}
process.stdout.write('done\n');
