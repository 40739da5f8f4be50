// Reuse of large output arrays. Every tfjs kernel returns a fresh Float32Array; for the megabyte-sized
// activations of a training step, fresh memory costs more than the math: measured on the 2-vCPU EPYC VM, the fused
// attention forward/backward of 2_4_128 took 3.0/5.0 ms writing into reused arrays and 9.5/24 ms writing into fresh
// ones (first-touch page faults, partly in the hypervisor, and cold caches). The pool hands back the arrays of
// disposed tensors, zero-filled, so a step's allocations come from memory the previous step already touched.
//
// Safety: an array is reused only when no tensor refers to its buffer any more (a per-buffer count of live data
// ids, so views such as cpu `Slice` outputs keep it alive) and its values were never handed out (`readSync` /
// `read`, i.e. `dataSync()`, `data()`, `array()`): user code may keep those arrays forever.

/** Arrays shorter than this come from the JS heap, which recycles them cheaply anyway. */
const MIN_LENGTH = 1 << 14;

/** A size-keyed free list of Float32Arrays with the bookkeeping that makes reuse safe. */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Canonical array of every buffer this pool allocated (views of it share the buffer). */
  private readonly owned = new WeakMap<ArrayBufferLike, Float32Array>();
  private readonly live = new WeakMap<ArrayBufferLike, number>();
  private readonly escaped = new WeakSet<ArrayBufferLike>();
  private freeBytes = 0;
  /** Arrays served from the free list / freshly allocated (for tests and diagnostics). */
  reused = 0;
  allocated = 0;

  constructor(readonly maxFreeBytes: number) {}

  /**
   * A Float32Array of `length` elements, reused when possible: zero-filled, or with stale values when the caller
   * sets `overwritten` (its kernel writes every element, so the fill would be a wasted pass over memory).
   */
  take(length: number, overwritten = false): Float32Array {
    if (length < MIN_LENGTH || this.maxFreeBytes <= 0) return new Float32Array(length);
    const a = this.free.get(length)?.pop();
    if (a) {
      this.freeBytes -= a.byteLength;
      this.reused++;
      return overwritten ? a : a.fill(0);
    }
    const fresh = new Float32Array(length);
    this.owned.set(fresh.buffer, fresh);
    this.allocated++;
    return fresh;
  }

  /** A tensor's data now refers to `values` (a backend `write` / `move`). */
  attach(values: unknown): void {
    const buffer = bufferOf(values);
    if (buffer && this.owned.has(buffer)) this.live.set(buffer, (this.live.get(buffer) ?? 0) + 1);
  }

  /** A tensor's data that referred to `values` was deleted: the buffer returns to the pool with its last user. */
  detach(values: unknown): void {
    const buffer = bufferOf(values);
    const canonical = buffer && this.owned.get(buffer);
    if (!buffer || !canonical) return;
    const n = (this.live.get(buffer) ?? 1) - 1;
    this.live.set(buffer, n);
    if (n > 0 || this.escaped.has(buffer)) return;
    if (this.freeBytes + canonical.byteLength > this.maxFreeBytes) return; // let the GC have it
    const list = this.free.get(canonical.length) ?? [];
    if (list.includes(canonical)) return; // already free (defensive: never hand one array out twice)
    list.push(canonical);
    this.free.set(canonical.length, list);
    this.freeBytes += canonical.byteLength;
  }

  /** `values` was handed to code outside the backend: its buffer is never reused. */
  escape(values: unknown): void {
    const buffer = bufferOf(values);
    if (buffer && this.owned.has(buffer)) this.escaped.add(buffer);
  }

  /** Bytes currently held in free lists. */
  get pooledBytes(): number {
    return this.freeBytes;
  }

  /** Drops every free array. */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}

function bufferOf(values: unknown): ArrayBufferLike | undefined {
  return ArrayBuffer.isView(values) ? values.buffer : undefined;
}

function defaultMaxBytes(): number {
  const mb = Number(process.env.PROCPT_NATIVE_POOL_MB);
  if (Number.isFinite(mb) && mb >= 0) return mb * 2 ** 20;
  return 2 ** 31; // 2 GiB of free arrays at most (GPT-2 small's step allocates a few GB)
}

/** The backend's pool (`PROCPT_NATIVE_POOL_MB` caps its free bytes; 0 disables reuse). */
export const pool = new BufferPool(defaultMaxBytes());

/**
 * An output array for a native kernel (from {@link pool}): zero-filled, unless `overwritten` promises that the
 * kernel writes every element (then it may hold a disposed tensor's values until the kernel runs).
 */
export function allocF32(length: number, overwritten = false): Float32Array {
  return pool.take(length, overwritten);
}
