// Issue 19: bounded resources and clear errors for everything that reads a model: config.json,
// procpt.json, model.safetensors. Each reader is also fuzzed (fast-check, fixed seed, few runs):
// whatever the bytes, it returns a bounded result or throws a ProcptError, never anything else.
import '@tensorflow/tfjs-backend-cpu';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcptError } from '@procpt/core';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, readCheckpointConfig, readCheckpointInfo, saveCheckpoint } from './checkpoint.js';
import { assertModelFits, estimateModelMemory, fromHfConfig, gptConfig, toHfConfig } from './config.js';
import { Gpt } from './gpt.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

let dir: string;
let good: string;
const config = gptConfig('2_4_16', { vocabSize: 9, nPositions: 6 });

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'procpt-model-bounds-'));
  good = join(dir, 'good');
  const model = Gpt.create(config, { seed: 1 });
  await saveCheckpoint(good, model, { step: 0 });
  model.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env.PROCPT_MEMORY_LIMIT_MB;
});

/** A copy of the good checkpoint with `edit` applied to it. */
async function variant(name: string, edit: (d: string) => Promise<void>): Promise<string> {
  const d = join(dir, name);
  await cp(good, d, { recursive: true });
  await edit(d);
  return d;
}

/** Only ProcptErrors may escape a reader. */
function isProcptFailure(error: unknown): boolean {
  return error instanceof ProcptError;
}

describe('model limits (issue 19, finding 4)', () => {
  it('a config.json saying n_layer 1e9 is refused at once by every reader, naming the file and the limit', async () => {
    const d = await variant('huge-layers', async (d) => {
      const hf = { ...toHfConfig(config), n_layer: 1e9 };
      await writeFile(join(d, 'config.json'), JSON.stringify(hf));
      await rm(join(d, 'procpt.json'));
    });
    const started = performance.now();
    for (const read of [readCheckpointConfig, readCheckpointInfo, loadCheckpoint]) {
      await expect(read(d)).rejects.toMatchObject({
        code: 'config',
        message: expect.stringContaining(
          `${join(d, 'config.json')}: model nLayer is 1000000000, over the limit of 1024`,
        ),
        hint: expect.stringContaining('PROCPT_MAX_LAYERS'),
      });
    }
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('a model beyond the memory limit is refused before allocation (model init, bench, load)', async () => {
    const huge = gptConfig('99_99_9999', { vocabSize: 100, nPositions: 64 });
    expect(estimateModelMemory(huge).parameters).toBeGreaterThan(1e11);
    expect(() => Gpt.create(huge, { where: 'model init' })).toThrow(
      /^model init: model 99_99_9999 \(vocab 100, positions 64\) has 1\.19e\+11 parameters and needs about .* GiB to build, over the .* memory limit$/,
    );
    process.env.PROCPT_MEMORY_LIMIT_MB = '1';
    const small = gptConfig('2_4_128', { vocabSize: 5000, nPositions: 64 });
    expect(() => assertModelFits(small, 'x')).toThrow(ProcptError);
    await expect(loadCheckpoint(good)).resolves.toBeDefined(); // 2_4_16 fits in 1 MiB
    process.env.PROCPT_MEMORY_LIMIT_MB = '4096';
    expect(() => assertModelFits(small, 'x')).not.toThrow();
  });

  it('--vocab 1e12 style values are config errors naming the field, never "Invalid typed array length"', () => {
    expect(() => gptConfig('2_4_16', { vocabSize: 1e12, nPositions: 8 })).toThrow(
      /model vocabSize is 1000000000000, over the limit of 16777216/,
    );
    expect(() => gptConfig('2_4_16', { vocabSize: 10, nPositions: 2 ** 40 })).toThrow(/model nPositions/);
    expect(() => gptConfig('2_4_999999999', { vocabSize: 10, nPositions: 8 })).toThrow(/model dModel/);
    expect(() => gptConfig('__proto__', { vocabSize: 10, nPositions: 8 })).toThrow(
      /unknown model size "__proto__"/,
    );
  });
});

describe('checkpoint metadata (issue 19, finding 6: a bad procpt.json is named)', () => {
  it('names procpt.json and the field for every damaged manifest', async () => {
    const cases: [string, RegExp][] = [
      ['null', /procpt\.json: not a version-1 procpt checkpoint manifest/],
      ['[1,2]', /procpt\.json: not a version-1/],
      [
        '{"format":"procpt-checkpoint","version":1,"files":null}',
        /procpt\.json: files must be an object, got null/,
      ],
      [
        '{"format":"procpt-checkpoint","version":1,"files":{"config.json":null}}',
        /procpt\.json: files\.config\.json must be \{bytes, sha256\}, got null/,
      ],
      [
        '{"format":"procpt-checkpoint","version":1,"files":{},"config":null}',
        /procpt\.json: config: model config must be an object/,
      ],
      [
        '{"format":"procpt-checkpoint","version":1,"files":{},"config":{"nLayer":1e9,"nHead":1,"dModel":4,"vocabSize":3,"nPositions":3,"tied":true,"dropout":0,"layerNormEpsilon":1e-5,"initializerRange":0.02}}',
        /procpt\.json: config: model nLayer is 1000000000, over the limit/,
      ],
      ['{not json', /procpt\.json is not valid JSON/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const d = await variant(`manifest-${i}`, (d) => writeFile(join(d, 'procpt.json'), text));
      for (const read of [readCheckpointInfo, loadCheckpoint]) {
        await expect(read(d), text).rejects.toMatchObject({
          code: 'corrupt',
          message: expect.stringMatching(message),
        });
      }
    }
  });

  it('a checkpoint whose weights hold NaN is a data error naming the tensor (no "loss NaN" with exit 0)', async () => {
    const model = Gpt.create(config, { seed: 2 });
    model.param('transformer.wpe.weight').assign(tf.fill([6, 16], Number.NaN));
    const d = join(dir, 'nan');
    await saveCheckpoint(d, model, {});
    model.dispose();
    await expect(loadCheckpoint(d)).rejects.toMatchObject({
      code: 'data',
      message: expect.stringMatching(
        /tensor transformer\.wpe\.weight holds a non-finite value \(NaN\) at index 0/,
      ),
    });
  });

  it('a weights file far larger than config.json implies is refused before it is read', async () => {
    const d = await variant('fat-weights', async (d) => {
      await rm(join(d, 'procpt.json'));
      const bytes = await readFile(join(d, 'model.safetensors'));
      // a sparse file: large on disk, nothing written
      const { open } = await import('node:fs/promises');
      const h = await open(join(d, 'model.safetensors'), 'r+');
      await h.truncate(bytes.length + 200_000_000);
      await h.close();
    });
    await expect(loadCheckpoint(d)).rejects.toMatchObject({
      code: 'corrupt',
      message: expect.stringMatching(
        /model\.safetensors has \d+ bytes, more than the \d+ its config\.json allows/,
      ),
    });
  });
});

describe('safetensors reader (issue 19, finding 6 and fuzzing)', () => {
  const header = (h: unknown, data = new Uint8Array(0)): Uint8Array => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + data.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    out.set(data, 8 + json.length);
    return out;
  };

  it('a null header entry or bad metadata is a corrupt error naming the tensor, not a TypeError', () => {
    expect(() => decodeSafetensors(header({ a: null }), 'w.st')).toThrow(
      /w\.st: tensor a must be an object with dtype, shape and data_offsets, got null/,
    );
    expect(() => decodeSafetensors(header({ a: 3 }), 'w.st')).toThrow(/tensor a must be an object/);
    expect(() => decodeSafetensors(header({ __metadata__: null }), 'w.st')).toThrow(
      /__metadata__ must be an object of strings/,
    );
    expect(() => decodeSafetensors(header({ __metadata__: { a: 1 } }), 'w.st')).toThrow(/__metadata__/);
    expect(() =>
      decodeSafetensors(header({ a: { dtype: 'toString', shape: [], data_offsets: [0, 0] } }), 'w.st'),
    ).toThrow(/unsupported dtype "toString"/);
    expect(() =>
      decodeSafetensors(
        header({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }),
        'w.st',
      ),
    ).toThrow(/do not match shape/);
  });

  const valid = encodeSafetensors(
    {
      w: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      i: { dtype: 'I32', shape: [2], data: new Int32Array([7, 8]) },
    },
    { format: 'pt' },
  );
  const decodes = (bytes: Uint8Array): boolean => {
    try {
      const { tensors } = decodeSafetensors(bytes, 'fuzz.st');
      // bounded memory: what was decoded holds no more values than the data section has bytes
      let values = 0;
      for (const t of tensors.values()) values += t.data.length;
      return values <= bytes.length;
    } catch (error) {
      return isProcptFailure(error) && (error as ProcptError).code === 'corrupt';
    }
  };

  it('fuzz: random bytes decode or fail with a corrupt error', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), decodes), { numRuns: 300, seed: 19 });
  });

  it('fuzz: a valid file with bytes overwritten decodes or fails with a corrupt error', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (edits) => {
          const bytes = valid.slice();
          for (const [at, value] of edits) bytes[at] = value;
          return decodes(bytes);
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });

  it('fuzz: arbitrary JSON headers decode or fail with a corrupt error', () => {
    const entry = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.record({
        dtype: fc.oneof(
          fc.constantFrom('F32', 'F16', 'BF16', 'F64', 'I32', 'I64', 'U8', '__proto__'),
          fc.string(),
        ),
        shape: fc.oneof(
          fc.array(fc.oneof(fc.nat(8), fc.integer(), fc.double()), { maxLength: 4 }),
          fc.jsonValue(),
        ),
        data_offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), fc.jsonValue()),
      }),
    );
    const headers = fc.dictionary(
      fc.oneof(fc.string({ maxLength: 6 }), fc.constant('__metadata__'), fc.constant('__proto__')),
      entry,
      {
        maxKeys: 4,
      },
    );
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 64 }), (h, data) => decodes(header(h, data))),
      { numRuns: 300, seed: 19 },
    );
  });
});

describe('config.json reader (fuzzing)', () => {
  const hfNumber = fc.oneof(
    fc.integer({ min: -4, max: 2048 }),
    fc.constantFrom(0, 1e9, 1e15, 2 ** 53, -1, 0.5, Number.MAX_VALUE),
    fc.double(),
    fc.string({ maxLength: 4 }),
    fc.constant(null),
  );
  it('fuzz: any config.json object is a bounded config or a ProcptError (checked in microseconds)', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            n_layer: hfNumber,
            n_head: hfNumber,
            n_embd: hfNumber,
            vocab_size: hfNumber,
            n_positions: hfNumber,
            resid_pdrop: hfNumber,
            layer_norm_epsilon: hfNumber,
            initializer_range: hfNumber,
            tie_word_embeddings: fc.jsonValue({ maxDepth: 1 }),
            n_inner: fc.oneof(fc.constant(null), hfNumber),
            model_type: fc.oneof(fc.constant('gpt2'), fc.string({ maxLength: 4 })),
          },
          { requiredKeys: [] },
        ),
        (json) => {
          try {
            const c = fromHfConfig(json, 'config.json');
            return (
              c.nLayer <= 1024 && c.dModel <= 65_536 && c.vocabSize <= 1 << 24 && c.nPositions <= 1 << 20
            );
          } catch (error) {
            return isProcptFailure(error) && (error as ProcptError).message.startsWith('config.json');
          }
        },
      ),
      { numRuns: 500, seed: 19 },
    );
  });

  it('fuzz: any config.json file is read or fails with a ProcptError', async () => {
    const d = await variant('fuzz-config', (d) => rm(join(d, 'procpt.json')));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.jsonValue({ maxDepth: 2 }).map((v) => new TextEncoder().encode(JSON.stringify(v) ?? '')),
        ),
        async (bytes) => {
          await writeFile(join(d, 'config.json'), bytes);
          try {
            await readCheckpointConfig(d);
            return true;
          } catch (error) {
            return isProcptFailure(error);
          }
        },
      ),
      { numRuns: 100, seed: 19 },
    );
  });
});
