// Worker thread of ParallelEncoder: encodes batches of texts with a tokenizer rebuilt from JSON.
import { parentPort, workerData } from 'node:worker_threads';
import { type TokenizerJSON, tokenizerFromJSON } from '@procpt/tokenizer';

const tokenizer = tokenizerFromJSON((workerData as { tokenizer: TokenizerJSON }).tokenizer);
parentPort?.on('message', (job: { id: number; texts: string[] }) => {
  const out = job.texts.map((t) => Uint32Array.from(tokenizer.encode(t)));
  parentPort?.postMessage(
    { id: job.id, out },
    out.map((a) => a.buffer as ArrayBuffer),
  );
});
