// Runs hand-written WGSL compute shaders on tfjs-backend-webgpu 4.22's device, queue and buffers.
//
// tfjs's own `runWebGPUProgram` binds exactly one output (binding 0, `result`) and read-only inputs, with a
// generated header (`getMainHeaderString`, shape uniforms). The fused kernels need several outputs (LayerNorm:
// y, mean, rstd; attention: y and its saved statistics; AdamW: param, m, v) and write some outputs over several
// dispatches (the attention gradient's dQ and dK/dV parts). So they record their dispatches here instead,
// the way `recordAndSubmit` does: into the backend's current command encoder and compute pass (so they
// interleave with tfjs's programs in one submit), with tfjs's uniform packing (`makeUniforms`), its buffer
// pool (`makeTensorInfo` + `uploadToGPU`), its deferred disposal of buffers a queued command still uses
// (`commandQueueOwnedIds`), its submit batching (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`) and its timestamp
// queries under `tf.profile`. Every output is a tensor of the backend's own, so tfjs reads, reuses and frees it
// as any other.
import * as tf from '@tensorflow/tfjs-core';
import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';

/** The few WebGPU objects used, structurally (no dependency on `@webgpu/types`). */
interface GpuPass {
  setPipeline(pipeline: unknown): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y: number, z: number): void;
}
interface GpuPipeline {
  getBindGroupLayout(index: number): unknown;
}
export interface GpuDevice {
  limits: Record<string, number>;
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  createComputePipeline(descriptor: {
    layout: 'auto';
    label?: string;
    compute: { module: unknown; entryPoint: string };
  }): GpuPipeline;
  createBindGroup(descriptor: {
    layout: unknown;
    entries: Array<{ binding: number; resource: unknown }>;
  }): unknown;
  createQuerySet(descriptor: { type: 'timestamp'; count: number }): unknown;
}

/** A uniform as tfjs's `makeUniforms` takes it. */
interface ProgramUniform {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/** The internals of tfjs-backend-webgpu 4.22's `WebGPUBackend` that the kernels use (all public JS fields). */
export interface WebGpuBackendInternals {
  device: GpuDevice;
  tensorMap: {
    get(dataId: object): { resource?: unknown; refCount: number; dtype: DataType } | undefined;
  };
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: DataType): TensorInfo;
  makeUniforms(uniforms: ProgramUniform[]): unknown;
  disposeData(dataId: object, force?: boolean): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: { beginComputePass(descriptor: object): GpuPass } | null;
  computePassEncoder: GpuPass | null;
  commandQueueOwnedIds: WeakSet<object>;
  dispatchCountInPass: number;
  activeTimers?: Array<{ name: string; query: Promise<number> }> | null;
  supportTimestampQuery: boolean;
  querySet: unknown;
  querySetCount: number;
  getQueryTime(): Promise<number>;
}

/** One storage buffer of a program: a tensor, bound read-only or read-write. */
export interface Binding {
  name: string;
  tensor: TensorInfo;
  /** read_write (an output, or a buffer updated in place); default read. */
  write?: boolean;
}

/** A scalar uniform: name, WGSL type and value. */
export type UniformValue = [name: string, type: 'u32' | 'i32' | 'f32', value: number];

/** A compute program: bindings, scalar uniforms (struct `u`), the WGSL body and the workgroup grid. */
export interface Program {
  /** Label in profiles and validation messages. */
  name: string;
  /** With `name`, identifies the WGSL: everything baked into `body` as a constant must be in it. */
  key: string;
  bindings: Binding[];
  uniforms: UniformValue[];
  /** Constants, workgroup variables, functions and the `@compute` entry point `main`. */
  body: () => string;
  dispatch: [number, number, number];
}

const WGSL_TYPE = { float32: 'f32', int32: 'i32', bool: 'i32' } as Record<DataType, string>;
const UNIFORM_TYPE = { u32: 'uint32', i32: 'int32', f32: 'float32' } as const;

const pipelines = new WeakMap<object, Map<string, GpuPipeline>>();

/** The WGSL source of `program` (declarations generated from its bindings and uniforms, then its body). */
export function programSource(program: Program): string {
  const decl = program.bindings.map((b, i) => {
    const access = b.write ? 'read_write' : 'read';
    const type = WGSL_TYPE[b.tensor.dtype];
    if (!type) throw new Error(`${program.name}: ${b.name} has unsupported dtype ${b.tensor.dtype}`);
    return `@group(0) @binding(${i}) var<storage, ${access}> ${b.name}: array<${type}>;`;
  });
  const fields = program.uniforms.map(([n, t]) => `  ${n}: ${t},`).join('\n');
  return [
    `struct Uniforms {\n${fields}\n};`,
    ...decl,
    `@group(0) @binding(${program.bindings.length}) var<uniform> u: Uniforms;`,
    program.body(),
  ].join('\n');
}

function pipelineFor(backend: WebGpuBackendInternals, program: Program): GpuPipeline {
  let cache = pipelines.get(backend.device);
  if (!cache) pipelines.set(backend.device, (cache = new Map()));
  const signature = `${program.name}|${program.key}|${program.bindings.map((b) => `${b.write ? 'w' : 'r'}${b.tensor.dtype}`).join(',')}|${program.uniforms.map((u) => u[1]).join(',')}`;
  let pipeline = cache.get(signature);
  if (!pipeline) {
    const module = backend.device.createShaderModule({ code: programSource(program), label: program.name });
    pipeline = backend.device.createComputePipeline({
      layout: 'auto',
      label: program.name,
      compute: { module, entryPoint: 'main' },
    });
    cache.set(signature, pipeline);
  }
  return pipeline;
}

/**
 * The storage dtype of a tensor: tfjs-webgpu's `Cast` from bool/int32 to float32 may share the int buffer and
 * only relabel the tensor, so a float32 tensor can hold i32 bits (its programs read the stored dtype too).
 */
function storedDtype(backend: WebGpuBackendInternals, t: TensorInfo): DataType {
  return backend.tensorMap.get(t.dataId)?.dtype ?? t.dtype;
}

/** A float32 copy of an int-stored float32-labelled tensor (see {@link storedDtype}). */
function floatCopy(backend: WebGpuBackendInternals, t: TensorInfo): TensorInfo {
  const out = alloc(backend, t.shape.slice());
  const n = sizeOf(t.shape);
  record(backend, {
    name: 'ProcptIntToFloat',
    key: '',
    bindings: [
      { name: 'dst', tensor: out, write: true },
      { name: 'src', tensor: { ...t, dtype: 'int32' } },
    ],
    uniforms: [['n', 'u32', n]],
    dispatch: grid(n, 256),
    body: () => /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 256u + gid.x;
  if (i < u.n) {
    dst[i] = f32(src[i]);
  }
}
`,
  });
  return out;
}

/**
 * Records `program` into the backend's command stream (submitted with tfjs's own work). Read-only float32
 * inputs stored as int32/bool (relabelled by a tfjs `Cast`) are converted first.
 */
export function runProgram(backend: WebGpuBackendInternals, program: Program): void {
  const temps: TensorInfo[] = [];
  const bindings = program.bindings.map((b) => {
    const stored = storedDtype(backend, b.tensor);
    if (b.tensor.dtype !== 'float32' || stored === 'float32') return b;
    if (b.write) throw new Error(`${program.name}: ${b.name} is stored as ${stored}, not float32`);
    const copy = floatCopy(backend, b.tensor);
    temps.push(copy);
    return { ...b, tensor: copy };
  });
  record(backend, temps.length > 0 ? { ...program, bindings } : program);
  release(backend, ...temps);
}

function record(backend: WebGpuBackendInternals, program: Program): void {
  const [x, y, z] = program.dispatch;
  if (x === 0 || y === 0 || z === 0) return;
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension ?? 65535;
  if (x > limit || y > limit || z > limit)
    throw new Error(
      `${program.name}: dispatch [${program.dispatch}] exceeds ${limit} workgroups per dimension`,
    );
  const pipeline = pipelineFor(backend, program);
  const resources: unknown[] = program.bindings.map((b) => {
    backend.uploadToGPU(b.tensor.dataId);
    const resource = backend.tensorMap.get(b.tensor.dataId)?.resource;
    if (!resource) throw new Error(`${program.name}: ${b.name} has no GPU buffer`);
    return { buffer: resource };
  });
  const uniforms = program.uniforms.map(([, t, v]) => ({ type: UNIFORM_TYPE[t], data: [v] }));
  resources.push(backend.makeUniforms(uniforms));
  for (const b of program.bindings) backend.commandQueueOwnedIds.add(b.tensor.dataId);
  const bindGroup = backend.device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: resources.map((resource, binding) => ({ binding, resource })),
  });
  const timed = backend.activeTimers != null;
  backend.ensureCommandEncoderReady();
  if (timed && backend.supportTimestampQuery) {
    backend.endComputePassEncoder();
    backend.querySet ??= backend.device.createQuerySet({ type: 'timestamp', count: backend.querySetCount });
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({
      timestampWrites: { querySet: backend.querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
  } else if (!backend.computePassEncoder) {
    backend.computePassEncoder = backend.commandEncoder!.beginComputePass({});
  }
  const pass = backend.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, z);
  backend.dispatchCountInPass++;
  if (timed || tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') <= backend.dispatchCountInPass) {
    backend.endComputePassEncoder();
    if (timed) backend.activeTimers!.push({ name: program.name, query: backend.getQueryTime() });
    else backend.submitQueue();
  }
}

/** A new float32 (or int32) tensor of the backend; its buffer is allocated when a program binds it. */
export function alloc(
  backend: WebGpuBackendInternals,
  shape: number[],
  dtype: DataType = 'float32',
): TensorInfo {
  return backend.makeTensorInfo(shape, dtype);
}

/** Frees temporaries (deferred by tfjs until the queued commands that use them are submitted). */
export function release(backend: WebGpuBackendInternals, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Workgroups for `count` items of `perGroup` each, folded into x·y when x would exceed `limit`. */
export function grid(count: number, perGroup: number, limit = 65535): [number, number, number] {
  const groups = Math.ceil(count / perGroup);
  if (groups <= limit) return [groups, 1, 1];
  const y = Math.ceil(groups / limit);
  return [Math.ceil(groups / y), y, 1];
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Largest power of two ≤ n (n ≥ 1). */
export function pow2Floor(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/** The device limits the kernels size their tiles and chunks by. */
export function deviceLimit(backend: WebGpuBackendInternals, name: string, fallback: number): number {
  const v = backend.device.limits[name];
  return typeof v === 'number' && v > 0 ? v : fallback;
}
