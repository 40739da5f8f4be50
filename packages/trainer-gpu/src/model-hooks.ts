import { installCpuKernels, installWasmKernels } from '@procpt/model';

/**
 * Installs @procpt/model's wasm kernel patches (`UnsortedSegmentSum`, the embedding gradient that
 * tfjs-backend-wasm lacks, and the fast transposed `BatchMatMul`). Returns notes for the report.
 */
export async function installWasmKernelsIfAvailable(): Promise<string[]> {
  installWasmKernels();
  return ['wasm: @procpt/model kernels installed (UnsortedSegmentSum, XNNPACK path for transposed matmuls)'];
}

/** Installs @procpt/model's linear-time `UnsortedSegmentSum` for the cpu backend. */
export async function installCpuKernelsIfAvailable(): Promise<string[]> {
  installCpuKernels();
  return ['cpu: @procpt/model linear-time UnsortedSegmentSum installed'];
}
