import { open } from 'node:fs/promises';
import { endianness } from 'node:os';

/** Magic number in the first header int32 of an llm.c token shard. */
export const SHARD_MAGIC = 20240520;
/** Header length in int32 values (1024 bytes). */
export const SHARD_HEADER_INTS = 256;
/** Header length in bytes. */
export const SHARD_HEADER_BYTES = SHARD_HEADER_INTS * 4;
/** Most tokens one shard can hold: the header stores the count as an int32. */
export const SHARD_MAX_TOKENS = 0x7fff_ffff;

/** Header version: 1 = uint16 tokens (llm.c GPT-2 shards), 2 = uint32 tokens (vocab > 65,536). */
export type ShardVersion = 1 | 2;

/** The version a vocabulary of `vocabSize` ids needs. */
export function versionForVocab(vocabSize: number): ShardVersion {
  return vocabSize <= 0x1_0000 ? 1 : 2;
}

/** Bytes per token of a version. */
export function bytesPerToken(version: ShardVersion): 2 | 4 {
  return version === 1 ? 2 : 4;
}

/** The 1024-byte header for `tokenCount` tokens. */
export function encodeHeader(version: ShardVersion, tokenCount: number): Uint8Array {
  const bytes = new Uint8Array(SHARD_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, SHARD_MAGIC, true);
  view.setInt32(4, version, true);
  view.setInt32(8, tokenCount, true);
  return bytes;
}

const BIG_ENDIAN = endianness() === 'BE';

/**
 * Little-endian bytes of a typed array (a view on the same memory on little-endian machines, a
 * byte-swapped copy on big-endian ones).
 */
export function littleEndianBytes(tokens: Uint16Array | Uint32Array): Uint8Array {
  const bytes = new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength);
  if (!BIG_ENDIAN) return bytes;
  const copy = Uint8Array.from(bytes);
  const width = tokens.BYTES_PER_ELEMENT;
  for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
  return copy;
}

/** Converts little-endian token bytes in place to native order (no-op on little-endian machines). */
export function fromLittleEndian(tokens: Uint16Array | Uint32Array): void {
  if (!BIG_ENDIAN) return;
  const bytes = new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength);
  const width = tokens.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}

/**
 * True when the file at `path` starts like an llm.c token shard (magic 20240520, version 1 or 2):
 * procpt's own output, which its writers may replace. Unreadable or short files are not shards.
 */
export async function isTokenShard(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const head = new Uint8Array(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    if (bytesRead < 8) return false;
    const view = new DataView(head.buffer);
    const version = view.getInt32(4, true);
    return view.getInt32(0, true) === SHARD_MAGIC && (version === 1 || version === 2);
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
