import { open, readFile } from 'node:fs/promises';
import { ProcptError, formatValue, writeFileAtomic } from '@procpt/core';

/** safetensors dtypes procpt reads; it writes F32, I32 and U8. */
export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I32' | 'I64' | 'U8';

/** One tensor as raw typed data (row-major, little-endian on disk). */
export interface RawTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** F32/F16/BF16/F64 are returned as Float32Array, I32/I64 as Int32Array, U8 as Uint8Array. */
  data: Float32Array | Int32Array | Uint8Array;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I32: 4, I64: 8, U8: 1 };
const MAX_HEADER = 100_000_000;

/**
 * Serialises tensors to the safetensors format: u64 LE header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__: {string: string}}` padded with
 * spaces to 8 bytes, then the little-endian data in header order. Tensors are laid out in the
 * order given.
 */
export function encodeSafetensors(
  tensors: Record<string, RawTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    const expected = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== expected) {
      throw new ProcptError(
        'usage',
        `safetensors: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`,
      );
    }
    const dtype = writtenDtype(t);
    if (t.dtype !== dtype) {
      throw new ProcptError(
        'usage',
        `safetensors: tensor ${name} is declared ${t.dtype} but holds ${dtype} data`,
        {
          hint: 'write F32 as Float32Array, I32 as Int32Array, U8 as Uint8Array',
        },
      );
    }
    const bytes = expected * BYTES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const pad = (8 - (jsonBytes.length % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const [, t] of entries) {
    // typed arrays are little-endian on every platform Node supports
    const src = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    out.set(src, pos);
    pos += src.length;
  }
  return out;
}

function writtenDtype(t: RawTensor): SafetensorsDtype {
  if (t.data instanceof Float32Array) return 'F32';
  if (t.data instanceof Int32Array) return 'I32';
  return 'U8';
}

/** True when the file at `path` starts like a safetensors file (8-byte header length, then `{`). */
export async function isSafetensorsFile(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(9);
    const { bytesRead } = await handle.read(head, 0, 9, 0);
    return bytesRead === 9 && head[8] === 0x7b;
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a safetensors file atomically (see {@link encodeSafetensors}). An existing file that is
 * not a safetensors file is refused unless `options.force`.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, RawTensor>,
  metadata: Record<string, string> = {},
  options: { force?: boolean } = {},
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata), {
    force: options.force === true,
    owned: isSafetensorsFile,
    what: 'safetensors file',
  });
}

/**
 * Parses safetensors bytes. Validates the header length, JSON, dtypes, shapes and that the data
 * offsets tile the data section exactly; every failure is a `corrupt` ProcptError naming `where`
 * and, when relevant, the tensor.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  where: string,
): { tensors: Map<string, RawTensor>; metadata: Record<string, string> } {
  const bad = (msg: string) =>
    new ProcptError('corrupt', `${where}: ${msg}`, {
      hint: 'the file is truncated or not a safetensors file',
    });
  if (bytes.length < 8) throw bad(`file has ${bytes.length} bytes, less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > MAX_HEADER || 8 + headerLen > bytes.length) {
    throw bad(`header length ${headerLen} does not fit in the ${bytes.length}-byte file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (error) {
    throw bad(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    throw bad('header is not an object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const rawMeta = Object.hasOwn(header, '__metadata__') ? header.__metadata__ : {};
  if (
    typeof rawMeta !== 'object' ||
    rawMeta === null ||
    Array.isArray(rawMeta) ||
    !Object.values(rawMeta).every((v) => typeof v === 'string')
  ) {
    throw bad(`__metadata__ must be an object of strings, got ${formatValue(rawMeta)}`);
  }
  const metadata = rawMeta as Record<string, string>;
  const spans: Array<[number, number, string]> = [];
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw bad(
        `tensor ${name} must be an object with dtype, shape and data_offsets, got ${formatValue(entry)}`,
      );
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype as SafetensorsDtype;
    if (typeof e.dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
      throw bad(`tensor ${name} has unsupported dtype ${JSON.stringify(e.dtype)}`);
    }
    const shape = e.shape;
    if (
      !Array.isArray(shape) ||
      shape.length > 64 ||
      !shape.every((x) => Number.isSafeInteger(x) && x >= 0)
    ) {
      throw bad(`tensor ${name} has an invalid shape ${formatValue(shape)}`);
    }
    const offs = e.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw bad(`tensor ${name} has invalid data_offsets ${formatValue(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    // With the offsets inside the data section (checked next), the element count is bounded by
    // the file size before anything is allocated.
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] do not match shape [${shape}] ${dtype}`);
    }
    if (end > dataLen)
      throw bad(`tensor ${name} ends at byte ${end}, past the data section (${dataLen} bytes)`);
    spans.push([begin, end, name]);
    tensors.set(name, {
      dtype,
      shape: shape as number[],
      data: convert(bytes.subarray(dataStart + begin, dataStart + end), dtype, count),
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  let cursor = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== cursor)
      throw bad(`tensor ${name} starts at byte ${begin}, expected ${cursor} (gap or overlap)`);
    cursor = end;
  }
  if (cursor !== dataLen) throw bad(`data section has ${dataLen} bytes but tensors cover ${cursor}`);
  return { tensors, metadata };
}

function convert(src: Uint8Array, dtype: SafetensorsDtype, count: number): RawTensor['data'] {
  // an aligned, owned copy (Buffer#slice would be a view into Node's pooled buffer)
  const copy = new Uint8Array(src.length);
  copy.set(src);
  const dv = new DataView(copy.buffer);
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, count);
    case 'I32':
      return new Int32Array(copy.buffer, 0, count);
    case 'U8':
      return copy;
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(dv.getBigInt64(i * 8, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
      return out;
    }
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Reads and validates a safetensors file (see {@link decodeSafetensors}). */
export async function readSafetensors(
  path: string,
): Promise<{ tensors: Map<string, RawTensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ProcptError('io', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return decodeSafetensors(bytes, path);
}
