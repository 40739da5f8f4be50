// Test support for packages below the trainer (the model) whose tests train on the stock wasm/cpu backends: the
// trainer's patches for those backends, taken from its source (the model cannot depend on the trainer, which
// owns backend selection and these patches).
export { installCpuKernels, installWasmKernels } from '../../packages/trainer-gpu/src/stock-patches.js';
