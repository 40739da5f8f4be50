// Writes the two parity checkpoints with @procpt/model's own init + saveCheckpoint (built dist).
// Usage: node tools/parity/make_checkpoints.mjs OUT_DIR   (after `pnpm --filter @procpt/model build`)
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(new URL('../../packages/model/package.json', import.meta.url));
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { Gpt, gptConfig, saveCheckpoint } = await import('../../packages/model/dist/index.js');

const out = process.argv[2];
if (!out) throw new Error('usage: make_checkpoints.mjs OUT_DIR');
tf.env().set('PROD', true);
await tf.setBackend('cpu');
const cases = {
  // the paper's diagnostic size, tied head (GPT-2 default)
  tied_2_4_16: gptConfig('2_4_16', { vocabSize: 11, nPositions: 8, dropout: 0 }),
  // a one-layer untied model covers lm_head.weight
  untied_1_2_8: gptConfig('1_2_8', { vocabSize: 11, nPositions: 8, dropout: 0, tied: false }),
};
let seed = 1;
for (const [name, config] of Object.entries(cases)) {
  const model = Gpt.create(config, { seed: seed++ });
  await saveCheckpoint(join(out, name), model, { step: 0, parity: name });
  model.dispose();
  console.log(`wrote ${join(out, name)}`);
}
