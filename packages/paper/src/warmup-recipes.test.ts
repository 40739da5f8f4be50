import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { haystackTask } from '@procpt/eval';
import { Gpt, gptConfig, transfer } from '@procpt/model';
import { type GeneratorSpec, createGenerator } from '@procpt/procgen';
import { describe, expect, it } from 'vitest';
import {
  type DiagnosticWarmupRecipe,
  HAYSTACK_DELETE_RECIPE,
  HAYSTACK_DYCK_RECIPE,
} from './warmup-recipes.js';

// What each recipe gave downstream is documented, not carried in the API.
const reproduction = readFileSync(new URL('../../../docs/reproduction.md', import.meta.url), 'utf8');

describe.each([
  // 4-Dyck: 4 opens, 4 closes, PAD; Delete: content 1..99, SEP, PAD
  { label: 'HAYSTACK_DYCK_RECIPE', r: HAYSTACK_DYCK_RECIPE, vocab: 9, rowLength: 64 },
  { label: 'HAYSTACK_DELETE_RECIPE', r: HAYSTACK_DELETE_RECIPE, vocab: 102, rowLength: 35 },
] satisfies { label: string; r: DiagnosticWarmupRecipe; vocab: number; rowLength: number }[])(
  '$label',
  ({ label, r, vocab, rowLength }) => {
    it('builds its generator and transfers attention only into the haystack model', () => {
      const gen = createGenerator({ type: r.type, seed: 0, ...r.params } as GeneratorSpec);
      expect(gen.vocabSize).toBe(vocab);
      expect(gen.maxLength).toBe(rowLength);
      expect(reproduction).toContain(label);
      const warm = Gpt.create(
        gptConfig('2_4_16', {
          vocabSize: gen.vocabSize,
          nPositions: gen.maxLength - 1,
          tied: r.tied,
          dropout: 0,
        }),
        { seed: 1 },
      );
      const task = haystackTask();
      const target = Gpt.create(
        gptConfig('2_4_16', {
          vocabSize: task.vocabSize,
          nPositions: task.nPositions,
          tied: false,
          dropout: 0,
        }),
        { seed: 2 },
      );
      const wteBefore = target.params.get('transformer.wte.weight')!.dataSync().slice();
      const lnBefore = target.params.get('transformer.h.0.ln_1.weight')!.dataSync().slice();
      transfer(warm, target, r.transfer);
      const attn = 'transformer.h.1.attn.c_attn.weight';
      expect(target.params.get(attn)!.dataSync()).toEqual(warm.params.get(attn)!.dataSync());
      // attention-only: embeddings and LayerNorms keep the target's own init
      expect(target.params.get('transformer.wte.weight')!.dataSync()).toEqual(wteBefore);
      expect(target.params.get('transformer.h.0.ln_1.weight')!.dataSync()).toEqual(lnBefore);
      warm.dispose();
      target.dispose();
    });
  },
);
