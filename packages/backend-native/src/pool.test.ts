import '@tensorflow/tfjs-backend-cpu';
import { Gpt, gptConfig } from '@procpt/model';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NATIVE_BACKEND, registerNativeBackend } from './index.js';
import { BufferPool, pool } from './pool.js';
import { onBackend, randomInts, relError } from './test-util.js';

const status = registerNativeBackend();
const N = 1 << 15; // above the pool's minimum length

describe('BufferPool', () => {
  it('reuses an array only after its last view is detached, zero-filled', () => {
    const p = new BufferPool(1 << 30);
    const a = p.take(N);
    p.attach(a);
    p.attach(a.subarray(0, 10)); // a second tensor viewing the same buffer
    a[3] = 7;
    p.detach(a);
    expect(p.take(N)).not.toBe(a); // the view still holds it
    p.detach(a.subarray(0, 10));
    const b = p.take(N);
    expect(b).toBe(a);
    expect(b[3]).toBe(0);
    expect(p.reused).toBe(1);
  });
  it('never reuses an escaped array, nor beyond its byte cap, nor small or foreign arrays', () => {
    const p = new BufferPool(4 * N);
    const a = p.take(N);
    p.attach(a);
    p.escape(a);
    p.detach(a);
    expect(p.take(N)).not.toBe(a);
    const [x, y] = [p.take(N), p.take(N)];
    p.attach(x);
    p.attach(y);
    p.detach(x);
    p.detach(y); // 2·4N bytes > cap 4N: y is dropped
    expect(p.pooledBytes).toBe(4 * N);
    const small = p.take(10);
    p.attach(small);
    p.detach(small);
    const foreign = new Float32Array(N);
    p.attach(foreign);
    p.detach(foreign);
    expect(p.pooledBytes).toBe(4 * N);
  });
});

describe.skipIf(!status.available)('procpt-native output reuse', () => {
  it('reuses disposed outputs without corrupting live, reshaped or read-out tensors', async () => {
    await tf.setBackend(NATIVE_BACKEND);
    const x = tf.range(0, N, 1, 'float32');
    const before = pool.reused;
    const first = tf.mul(x, 2); // a native output of N floats
    const read = first.dataSync(); // escapes: must never be reused
    first.dispose();
    const second = tf.mul(x, 3);
    const kept = tf.reshape(second, [N / 2, 2]); // shares second's data
    second.dispose();
    const third = tf.add(x, 1);
    third.dispose();
    const fourth = tf.add(x, 5); // can reuse third's array, never first's or second's
    expect(pool.reused).toBeGreaterThan(before);
    expect(read[N - 1]).toBe(2 * (N - 1));
    const k = await kept.data();
    expect(k[N - 1]).toBe(3 * (N - 1));
    const f = await fourth.data();
    expect(f[0]).toBe(5);
    expect(f[N - 1]).toBe(N - 1 + 5);
    tf.dispose([x, kept, fourth]);
  });
});

describe.skipIf(!status.available)('procpt-native with reused (stale) output arrays', () => {
  it('a Gpt step repeated on reused arrays matches the cpu backend (loss and gradients)', async () => {
    // activations of this size (>= 16k floats) go through the pool; the second and third passes get arrays that
    // still hold the previous pass's values, so any kernel that does not overwrite its whole output shows up here
    const config = gptConfig('1_2_64', { vocabSize: 40, nPositions: 64, dropout: 0 });
    const tokens = randomInts(4 * 65, 31, 40);
    const step = () => {
      const model = Gpt.create(config, { seed: 3 });
      const t = tf.tensor2d(tokens, [4, 65], 'int32');
      const mask = tf.onesLike(t);
      const vars = [...model.params.values()];
      const { value, grads } = tf.variableGrads(() => model.loss(t, mask), vars);
      const out = [value, ...vars.map((v) => grads[v.name]!)];
      tf.dispose([t, mask]);
      model.dispose();
      return out;
    };
    const ref = await onBackend('cpu', step);
    const reusedBefore = pool.reused;
    for (let pass = 0; pass < 3; pass++) {
      const got = await onBackend(NATIVE_BACKEND, step);
      for (const [i, r] of ref.entries())
        expect(relError(got[i]!, r), `pass ${pass} output ${i}`).toBeLessThan(1e-4);
    }
    expect(pool.reused).toBeGreaterThan(reusedBefore);
  });
});
