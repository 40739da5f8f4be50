import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fusedAttention } from './fused-ops.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const qkvOf = (b: number, t: number, d3: number) =>
  tf.tensor3d(
    Array.from({ length: b * t * d3 }, (_, i) => Math.sin(i * 0.37) * 2),
    [b, t, d3],
  );

describe('fusedAttention attention dropout (standard-ops path)', () => {
  it('drops the probabilities with tf.dropout at the given seed', async () => {
    const [b, t, h, dh] = [2, 5, 2, 3];
    const qkv = qkvOf(b, t, 3 * h * dh);
    const got = await fusedAttention(qkv, h, { dropout: 0.3, seed: 5 }).data();
    const want = tf.tidy(() => {
      const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(qkv, 3, 2).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const causal = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9);
      const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), causal));
      const y = tf.matMul(tf.dropout(p, 0.3, undefined, 5), v);
      return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [b, t, h * dh]);
    });
    const w = await want.data();
    for (let i = 0; i < w.length; i++) expect(got[i]).toBeCloseTo(w[i]!, 5);
    const plain = await fusedAttention(qkv, h).data();
    expect(await fusedAttention(qkv, h, { dropout: 0, seed: 5 }).data()).toEqual(plain);
    expect(Array.from(got)).not.toEqual(Array.from(plain));
    expect(await fusedAttention(qkv, h, { dropout: 0.3, seed: 6 }).data()).not.toEqual(got);
    tf.dispose([qkv, want]);
  });

  it('rejects a rate outside [0, 1) or a non-integer seed', () => {
    const qkv = qkvOf(1, 2, 6);
    expect(() => fusedAttention(qkv, 1, { dropout: 1 })).toThrow(/dropout must be in/);
    expect(() => fusedAttention(qkv, 1, { dropout: -0.1 })).toThrow(/dropout must be in/);
    expect(() => fusedAttention(qkv, 1, { dropout: 0.1, seed: 1.5 })).toThrow(/seed an integer/);
    qkv.dispose();
  });
});
