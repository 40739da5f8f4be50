// tfjs's "Hi, looks like you are running TensorFlow.js in Node.js" banner: printed by the cpu backend (and
// procpt-native, built on it) on its first tensor, silenced by selectBackend for every procpt program.
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listBackends, selectBackend } from './backends.js';

const BANNER = /looks like you are running TensorFlow\.js in Node\.js/;
const nativeOk = (await listBackends()).find((r) => r.name === 'procpt-native')?.status === 'available';

/** Everything tfjs printed through console.warn / console.log while `fn` ran. */
async function printed(fn: () => Promise<void> | void): Promise<string> {
  const lines: string[] = [];
  const record = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '));
  };
  const warn = vi.spyOn(console, 'warn').mockImplementation(record);
  const log = vi.spyOn(console, 'log').mockImplementation(record);
  try {
    await fn();
  } finally {
    warn.mockRestore();
    log.mockRestore();
  }
  return lines.join('\n');
}

/** Writes a fresh tensor on the active backend and reads it back (the banner's trigger). */
function firstTensor(): void {
  const t = tf.tensor1d([1, 2, 3]);
  t.dataSync();
  t.dispose();
}

describe('the tfjs Node.js banner', () => {
  afterEach(() => {
    if (tf.findBackend('cpu-unsilenced')) tf.removeBackend('cpu-unsilenced');
  });

  it('is printed by a cpu backend activated without selectBackend (the control)', async () => {
    tf.registerBackend('cpu-unsilenced', () => new MathBackendCPU(), 0);
    const text = await printed(async () => {
      await tf.setBackend('cpu-unsilenced');
      firstTensor();
    });
    expect(text).toMatch(BANNER);
  });

  it('is not printed after selectBackend("cpu"), and other tfjs warnings still are', async () => {
    const text = await printed(async () => {
      await selectBackend('cpu');
      firstTensor();
    });
    expect(text).not.toMatch(BANNER);
    expect(tf.env().getBool('PROD')).toBe(false); // tfjs's global switch is left alone
    const other = await printed(() => tf.backend_util.warn('another tfjs warning'));
    expect(other).toBe('another tfjs warning');
  });

  it.runIf(nativeOk)('is not printed after selectBackend("procpt-native")', async () => {
    const text = await printed(async () => {
      await selectBackend('procpt-native');
      firstTensor();
    });
    expect(text).not.toMatch(BANNER);
  });
});
