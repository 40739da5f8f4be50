import { BACKEND_ORDER, type BackendPreference, parseBackendPreference } from '@procpt/trainer-gpu';

/** Help text of every command's `--backend` flag. */
export const BACKEND_HELP = `tfjs backend: auto | ${BACKEND_ORDER.join(' | ')}`;

/** The `--backend` flag's parser for every command (one set of names, one error). */
export function parseBackend(raw: string): BackendPreference {
  return parseBackendPreference(raw, '--backend');
}

/**
 * Silences tfjs-core's "looks like you are running TensorFlow.js in Node.js" banner (it suggests
 * tfjs-node, which procpt picks itself when present). Called before any backend is registered.
 */
export async function silenceTfjsBanner(): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  tf.env().set('PROD', true);
}
