import * as tf from '@tensorflow/tfjs-core';

/**
 * Installs @procpt/model's kernel patches for the active backend (wasm: `UnsortedSegmentSum` +
 * fast transposed `BatchMatMul`; cpu: linear-time `UnsortedSegmentSum`). Returns notes for the
 * backend report. Looked up by name so the trainer keeps working with a model build that lacks them.
 */
export async function installWasmKernelsIfAvailable(): Promise<string[]> {
  return installKernels('installWasmKernels', 'wasm');
}

/** Same as {@link installWasmKernelsIfAvailable} for the cpu backend. */
export async function installCpuKernelsIfAvailable(): Promise<string[]> {
  return installKernels('installCpuKernels', 'cpu');
}

async function installKernels(exportName: string, backend: string): Promise<string[]> {
  const model = (await import('@procpt/model')) as Record<string, unknown>;
  const install = model[exportName];
  if (typeof install !== 'function') {
    const missing = backend === 'wasm' && !tf.getKernel('UnsortedSegmentSum', 'wasm');
    return [
      `@procpt/model has no ${exportName}(); ${backend} runs stock tfjs kernels${missing ? ' (no UnsortedSegmentSum: embedding gradients will fail)' : ''}`,
    ];
  }
  (install as () => void)();
  return [`${backend}: @procpt/model kernel patches installed (${exportName})`];
}
