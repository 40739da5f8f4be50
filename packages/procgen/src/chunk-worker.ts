import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import { createGenerator } from './create.js';
import { concatSamples } from './generate.js';
import type { GeneratorSpec } from './spec.js';

// A generation worker of generateTokenChunks: rebuilds the generator from the spec and answers
// { id, start, count } jobs with the concatenated tokens of those samples (buffer transferred).

// Each sample is a fresh pair of typed arrays; their backing stores live outside the V8 heap and
// are only released by a collection, which a worker's tiny heap rarely triggers. A minor collection
// after each job (~1 ms per 256 Ki tokens) keeps a worker's footprint flat for billions of tokens.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as ((options?: { type: 'minor' | 'major' }) => void) | undefined;

const gen = createGenerator((workerData as { spec: GeneratorSpec }).spec);
parentPort?.on('message', (job: { id: number; start: number; count: number }) => {
  try {
    const tokens = concatSamples(gen, job.start, job.count);
    parentPort?.postMessage({ id: job.id, tokens }, [tokens.buffer as ArrayBuffer]);
    collect?.({ type: 'minor' });
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
