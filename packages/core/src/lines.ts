import { createReadStream } from 'node:fs';
import { ProcptError, type ProcptErrorCode } from './errors.js';
import { limitBytes, raiseHint } from './limits.js';

/** One line of a text file, without its `\n` (or `\r\n`), with its 1-based number. */
export interface TextLine {
  text: string;
  line: number;
}

/** Options of {@link readLinesLimited}. */
export interface ReadLinesOptions {
  /** Longest line in bytes (default: the `document` limit, `PROCPT_MAX_DOCUMENT_MB`). */
  maxLineBytes?: number;
  /** Error category of a too-long line (default `data`). */
  code?: ProcptErrorCode;
}

/**
 * Streams the lines of a text file in memory bounded by the longest allowed line: a line longer
 * than `maxLineBytes` is a `data` error naming the file and line (and how to raise the limit)
 * instead of a multi-gigabyte string. A missing file is an `io` error.
 */
export async function* readLinesLimited(
  path: string,
  options: ReadLinesOptions = {},
): AsyncGenerator<TextLine> {
  const max = options.maxLineBytes ?? limitBytes('document');
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  let partial: Buffer[] = [];
  let partialBytes = 0;
  let line = 0;
  const tooLong = () =>
    new ProcptError(options.code ?? 'data', `${path}:${line + 1}: line is longer than ${max} bytes`, {
      hint: options.maxLineBytes === undefined ? raiseHint('document') : 'is this the right file?',
    });
  const decode = (buf: Buffer): string => {
    const text = buf.toString('utf8');
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0;
      let nl = chunk.indexOf(10);
      while (nl >= 0) {
        if (partialBytes + nl - start > max) throw tooLong();
        const piece = chunk.subarray(start, nl);
        const buf = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
        partial = [];
        partialBytes = 0;
        line++;
        yield { text: decode(buf), line };
        start = nl + 1;
        nl = chunk.indexOf(10, start);
      }
      if (start < chunk.length) {
        partialBytes += chunk.length - start;
        if (partialBytes > max) throw tooLong();
        partial.push(chunk.subarray(start));
      }
    }
  } catch (error) {
    if (error instanceof ProcptError) throw error;
    throw new ProcptError('io', `cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'check the path',
    });
  } finally {
    stream.destroy();
  }
  if (partial.length > 0) {
    line++;
    yield { text: decode(Buffer.concat(partial)), line };
  }
}
