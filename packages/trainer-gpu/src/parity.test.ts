import type { GptConfig } from '@procpt/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadParityFixture } from '../../../scripts/test-support/parity-fixture.js';
import type { FusedOptimizer } from './adamw.js';
import { fusedOptimizerFor, listBackends, selectBackend } from './backends.js';
import { adamwParityWorst } from './testing/adamw-parity.js';

// The model's PyTorch fixture (torch.optim.AdamW on a real GPT-2, 3 steps).
const fixture = loadParityFixture<GptConfig>();

const native = await listBackends().then((rows) => rows.find((r) => r.name === 'procpt-native'));
const backends = [
  ['cpu', ''],
  ['procpt-native', native?.status === 'available' ? '' : `skipped: ${native?.reason ?? 'not listed'}`],
] as const;

describe.each(backends)('AdamW on GPT-2 vs the PyTorch fixture on %s %s', (backend, skip) => {
  let fused: FusedOptimizer | undefined;
  beforeAll(async () => {
    if (!skip) fused = await fusedOptimizerFor(await selectBackend(backend));
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });
  for (const c of fixture.cases) {
    it.skipIf(skip !== '')(`${c.name}: 3 AdamW steps match torch`, async () => {
      const worst = await adamwParityWorst(c, fixture.adamwConfig, fused);
      expect(worst).toBeLessThan(2e-6);
    });
  }
});
