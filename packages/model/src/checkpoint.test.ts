import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, loadCheckpointExtras, saveCheckpoint } from './checkpoint.js';
import { fromHfConfig, gptConfig, toHfConfig } from './config.js';
import { Gpt } from './gpt.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors } from './safetensors.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'procpt-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const config = gptConfig('2_4_16', { vocabSize: 9, nPositions: 6, tied: false });

describe('safetensors', () => {
  it('round-trips F32/I32/U8 with metadata and the real layout', async () => {
    const path = join(dir, 'a.safetensors');
    await writeSafetensors(
      path,
      {
        w: { dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -6.5]) },
        step: { dtype: 'I32', shape: [1], data: new Int32Array([42]) },
        m: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 0, 1]) },
      },
      { format: 'pt' },
    );
    const bytes = await readFile(path);
    const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLen).toString());
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.__metadata__).toEqual({ format: 'pt' });
    const back = await readSafetensors(path);
    expect([...back.tensors.get('w')!.data]).toEqual([1, 2, 3, 4, 5, -6.5]);
    expect([...back.tensors.get('step')!.data]).toEqual([42]);
    expect(back.tensors.get('m')!.dtype).toBe('U8');
  });

  it('reads F16, BF16 and F64 data as float32', () => {
    const enc = new TextEncoder();
    const header = enc.encode(
      JSON.stringify({
        h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
        d: { dtype: 'F64', shape: [1], data_offsets: [6, 14] },
      }),
    );
    const buf = new Uint8Array(8 + header.length + 14);
    const dv = new DataView(buf.buffer);
    dv.setBigUint64(0, BigInt(header.length), true);
    buf.set(header, 8);
    const o = 8 + header.length;
    dv.setUint16(o, 0x3c00, true); // 1.0
    dv.setUint16(o + 2, 0xc000, true); // -2.0
    dv.setUint16(o + 4, 0x3fc0, true); // bf16 1.5
    dv.setFloat64(o + 6, 0.25, true);
    const { tensors } = decodeSafetensors(buf, 'mem');
    expect([...tensors.get('h')!.data]).toEqual([1, -2]);
    expect([...tensors.get('b')!.data]).toEqual([1.5]);
    expect([...tensors.get('d')!.data]).toEqual([0.25]);
  });

  it('rejects truncated, garbled and inconsistent files, naming file and tensor', () => {
    const good = encodeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    expect(() => decodeSafetensors(good.subarray(0, 5), 'f.st')).toThrow(/f\.st: file has 5 bytes/);
    expect(() => decodeSafetensors(good.subarray(0, good.length - 3), 'f.st')).toThrow(
      /tensor w ends at byte 16/,
    );
    const garbled = good.slice();
    garbled[9] = 0x7b; // corrupt JSON
    garbled[10] = 0x7b;
    expect(() => decodeSafetensors(garbled, 'f.st')).toThrow(/header is not valid JSON/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(huge, 'f.st')).toThrow(/header length/);
    const extra = new Uint8Array(good.length + 4);
    extra.set(good);
    expect(() => decodeSafetensors(extra, 'f.st')).toThrow(/tensors cover 16/);
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [3], data: new Float32Array(4) } })).toThrow(
      /tensor w has 4 values/,
    );
  });
});

describe('HF config', () => {
  it('round-trips through config.json form', () => {
    const hf = toHfConfig(config);
    expect(hf).toMatchObject({
      n_layer: 2,
      n_head: 4,
      n_embd: 16,
      vocab_size: 9,
      n_positions: 6,
      n_ctx: 6,
      activation_function: 'gelu_new',
      tie_word_embeddings: false,
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      layer_norm_epsilon: 1e-5,
    });
    expect(fromHfConfig(JSON.parse(JSON.stringify(hf)), 'config.json')).toEqual(config);
  });
  it('reads an HF GPT-2 config without tie_word_embeddings and rejects unsupported ones', () => {
    const gpt2 = {
      n_layer: 12,
      n_head: 12,
      n_embd: 768,
      vocab_size: 50257,
      n_positions: 1024,
      resid_pdrop: 0.1,
    };
    expect(fromHfConfig(gpt2, 'c.json')).toMatchObject({ tied: true, dModel: 768, layerNormEpsilon: 1e-5 });
    expect(() => fromHfConfig({ ...gpt2, activation_function: 'relu' }, 'c.json')).toThrow(
      /activation_function/,
    );
    expect(() => fromHfConfig({ ...gpt2, n_layer: 'x' }, 'c.json')).toThrow(/c\.json: field n_layer/);
  });
});

describe('checkpoints', () => {
  it('saves and loads a model bit-exactly with meta and extra tensors', async () => {
    const model = Gpt.create(config, { seed: 11 });
    const ckpt = join(dir, 'ckpt');
    const moment = tf.tensor1d([0.5, 0.25]);
    await saveCheckpoint(ckpt, model, { step: 7, tokenizer: { name: 'procedural' } }, { 'm.w': moment });
    const { model: back, meta } = await loadCheckpoint(ckpt);
    expect(meta).toEqual({ step: 7, tokenizer: { name: 'procedural' } });
    expect(back.config).toEqual(config);
    for (const [name, v] of model.params) expect(back.param(name).dataSync()).toEqual(v.dataSync());
    const extras = await loadCheckpointExtras(ckpt);
    expect([...extras!.get('m.w')!.data]).toEqual([0.5, 0.25]);
    const manifest = JSON.parse(await readFile(join(ckpt, 'procpt.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'optimizer.safetensors',
    ]);
    expect(manifest.files['model.safetensors'].sha256).toMatch(/^[0-9a-f]{64}$/);
    const header = (await readSafetensors(join(ckpt, 'model.safetensors'))).tensors;
    expect(header.get('transformer.h.0.attn.c_attn.weight')!.shape).toEqual([16, 48]);
    expect(header.get('lm_head.weight')!.shape).toEqual([9, 16]);
    moment.dispose();
    model.dispose();
    back.dispose();
  });

  it('detects a modified or truncated weights file by checksum', async () => {
    const model = Gpt.create(config, { seed: 1 });
    const ckpt = join(dir, 'bad');
    await saveCheckpoint(ckpt, model);
    model.dispose();
    const path = join(ckpt, 'model.safetensors');
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    await expect(loadCheckpoint(ckpt)).rejects.toThrow(/model\.safetensors does not match its checksum/);
  });

  it('loads HF-layout checkpoints (no transformer. prefix, attn.bias buffers) and names missing or misshapen tensors', async () => {
    const model = Gpt.create({ ...config, tied: true }, { seed: 2 });
    const hfDir = join(dir, 'hf');
    await saveCheckpoint(hfDir, model);
    await rm(join(hfDir, 'procpt.json'));
    const { tensors } = await readSafetensors(join(hfDir, 'model.safetensors'));
    const renamed = Object.fromEntries(
      [...tensors].map(([k, v]) => [k.replace(/^transformer\./, ''), v] as const),
    );
    renamed['h.0.attn.bias'] = { dtype: 'F32', shape: [1, 1, 6, 6], data: new Float32Array(36) };
    await writeSafetensors(join(hfDir, 'model.safetensors'), renamed, { format: 'pt' });
    const { model: back, meta } = await loadCheckpoint(hfDir);
    expect(meta).toEqual({});
    expect(back.param('transformer.h.1.mlp.c_fc.weight').dataSync()).toEqual(
      model.param('transformer.h.1.mlp.c_fc.weight').dataSync(),
    );
    back.dispose();

    const missing = { ...renamed };
    delete missing['h.1.ln_2.bias'];
    missing['h.0.mlp.c_fc.bias'] = { dtype: 'F32', shape: [3], data: new Float32Array(3) };
    await writeSafetensors(join(hfDir, 'model.safetensors'), missing, { format: 'pt' });
    const err = loadCheckpoint(hfDir);
    await expect(err).rejects.toThrow(/model\.safetensors: .*h\.0\.mlp\.c_fc\.bias has shape \[3\]/);
    await expect(loadCheckpoint(hfDir)).rejects.toThrow(/missing tensor transformer\.h\.1\.ln_2\.bias/);
    model.dispose();
  });

  it('fails clearly for a directory without a checkpoint', async () => {
    await expect(loadCheckpoint(join(dir, 'nope'))).rejects.toThrow(/cannot read .*config\.json/);
  });
});
