import type { BatchOptions, CursorBatch, DataSource, DataSpec } from '@procpt/core';

/**
 * Test-only data: rows of the map `next = (7·tok + 3) mod V` from a start token that is a pure
 * hash of (seed, row index), all targets scored except the first `unscored` positions. The cursor
 * is `{ index }`, the next row. Not exported from the package.
 */
export function affineSource(vocabSize: number, seed = 1, unscored = 1): DataSource {
  return {
    describe(): DataSpec {
      return { kind: 'test-affine', vocabSize, seed };
    },
    async *batches(options: BatchOptions): AsyncIterable<CursorBatch> {
      let index = typeof options.cursor?.index === 'number' ? options.cursor.index : 0;
      for (;;) {
        const tokens = new Int32Array(options.batch * options.length);
        const loss = new Uint8Array(options.batch * options.length);
        for (let r = 0; r < options.batch; r++, index++) {
          let tok = Math.imul(index + 1, 2654435761 ^ seed) >>> 0;
          tok %= vocabSize;
          for (let i = 0; i < options.length; i++) {
            tokens[r * options.length + i] = tok;
            loss[r * options.length + i] = i >= unscored ? 1 : 0;
            tok = (7 * tok + 3) % vocabSize;
          }
        }
        yield { tokens, loss, batch: options.batch, length: options.length, cursor: { index } };
      }
    },
  };
}
