import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type CursorBatch,
  type DataCursor,
  type DataSource,
  type DataSpec,
  ProcptError,
  type Sample,
  limitBytes,
  raiseHint,
} from '@procpt/core';
import { CharTokenizer, type Tokenizer } from '@procpt/tokenizer';
import { MathRng } from '../dm-math/rng.js';

/** Which part of the dataset to read: train = easy + medium + hard (sampled uniformly). */
export type DmMathPart = 'train' | 'interpolate' | 'extrapolate';

const FOLDERS: Record<DmMathPart, readonly string[]> = {
  train: ['train-easy', 'train-medium', 'train-hard'],
  interpolate: ['interpolate'],
  extrapolate: ['extrapolate'],
};

/** Reads question/answer line pairs from one module file, from a byte offset, wrapping at the end. */
class PairFile {
  private handle: FileHandle | undefined;
  private buffer = '';
  private bufferStart = 0;
  private readonly chunk = Buffer.alloc(1 << 16);
  private filePos = 0;
  private readonly maxLine = limitBytes('document');

  constructor(
    readonly path: string,
    public offset = 0,
  ) {
    this.bufferStart = offset;
    this.filePos = offset;
  }

  private async fill(): Promise<boolean> {
    this.handle ??= await open(this.path, 'r');
    const { bytesRead } = await this.handle.read(this.chunk, 0, this.chunk.length, this.filePos);
    if (bytesRead === 0) return false;
    this.filePos += bytesRead;
    // DM-Math is ASCII: one byte per character, so string offsets are byte offsets
    this.buffer += this.chunk.toString('latin1', 0, bytesRead);
    return true;
  }

  /** Continue reading at `offset` (a line start). */
  seek(offset: number): void {
    this.offset = offset;
    this.filePos = offset;
    this.buffer = '';
    this.bufferStart = offset;
  }

  private async line(): Promise<string | undefined> {
    for (;;) {
      const rel = this.offset - this.bufferStart;
      const nl = this.buffer.indexOf('\n', rel);
      if (nl >= 0) {
        const text = this.buffer.slice(rel, nl);
        this.offset = this.bufferStart + nl + 1;
        if (nl > 1 << 20) {
          this.buffer = this.buffer.slice(nl + 1);
          this.bufferStart = this.offset;
        }
        return text.endsWith('\r') ? text.slice(0, -1) : text;
      }
      if (this.buffer.length - rel > this.maxLine) {
        throw new ProcptError(
          'data',
          `${this.path} (byte ${this.offset}): a line longer than ${this.maxLine} bytes; DM-Math lines are short`,
          { hint: `is this a DM-Math file? (${raiseHint('document')})` },
        );
      }
      if (!(await this.fill())) {
        const rest = this.buffer.slice(rel);
        if (rest.trim() === '') return undefined;
        this.offset = this.bufferStart + this.buffer.length;
        return rest;
      }
    }
  }

  /** The next pair; at the end of the file starts again from the top (another epoch). */
  async next(): Promise<[string, string]> {
    let question = await this.line();
    if (question === undefined) {
      this.seek(0);
      question = await this.line();
      if (question === undefined)
        throw new ProcptError('corrupt', `${this.path} has no question/answer lines`);
    }
    const at = this.offset;
    const answer = await this.line();
    if (answer === undefined) {
      throw new ProcptError(
        'corrupt',
        `${this.path} (byte ${at}): question without an answer line at the end of the file`,
        {
          hint: 'DM-Math files alternate question and answer lines; the file may be truncated',
        },
      );
    }
    return [question, answer];
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}

/** Options of {@link dmMathSource}. */
export interface DmMathSourceOptions {
  /** `mathematics_dataset-v1.0`, or the folder that holds it. */
  root: string;
  /** Default `train`. */
  part?: DmMathPart;
  /** Seed of the difficulty/module draws (default 42, the paper's). */
  seed?: number;
  /** Character tokenizer with BOS, SEP and PAD (default {@link CharTokenizer}). */
  tokenizer?: Tokenizer;
  /** Only these modules (file names without `.txt`). */
  modules?: readonly string[];
}

/** A DM-Math problem drawn by {@link DmMathSource.problems}. */
export interface DmMathDraw {
  question: string;
  answer: string;
  module: string;
  folder: string;
}

async function datasetDir(root: string): Promise<string> {
  const names = await readdir(root).catch((error: unknown) => {
    throw new ProcptError('usage', `cannot read DM-Math directory ${root}`, { cause: error });
  });
  const nested = names.find((n) => n.startsWith('mathematics_dataset'));
  if (nested && (await stat(join(root, nested))).isDirectory()) return join(root, nested);
  return root;
}

/**
 * DeepMind-Math as the paper trains on it: each problem picks a difficulty folder uniformly, then
 * a module uniformly, then that file's next question/answer pair; it is written
 * `BOS question SEP answer` with loss only on the answer characters, and problems are packed
 * greedily into rows (a problem that does not fit starts the next row; the rest is PAD, loss 0).
 * Files are read sequentially from byte offsets, so memory is bounded, and the cursor (draw count
 * plus per-file offsets) resumes exactly.
 */
export class DmMathSource implements DataSource {
  private constructor(
    private readonly groups: { folder: string; files: PairFile[]; names: string[] }[],
    private readonly tokenizer: Tokenizer,
    private readonly seed: number,
    private readonly part: DmMathPart,
    private readonly ids: { bos: number; sep: number; pad: number },
  ) {}

  /** Opens the dataset (lists the module files; nothing is read yet). */
  static async open(options: DmMathSourceOptions): Promise<DmMathSource> {
    const dir = await datasetDir(options.root);
    const part = options.part ?? 'train';
    const wanted = options.modules ? new Set(options.modules) : undefined;
    const groups: { folder: string; files: PairFile[]; names: string[] }[] = [];
    for (const folder of FOLDERS[part]) {
      const names = (await readdir(join(dir, folder)).catch(() => [] as string[]))
        .filter((n) => n.endsWith('.txt') && (!wanted || wanted.has(n.slice(0, -4))))
        .sort();
      if (names.length > 0) {
        groups.push({
          folder,
          names: names.map((n) => n.slice(0, -4)),
          files: names.map((n) => new PairFile(join(dir, folder, n))),
        });
      }
    }
    if (groups.length === 0) {
      throw new ProcptError('usage', `no DM-Math ${part} files under ${dir}`, {
        hint: `expected ${FOLDERS[part].join(', ')} folders of <module>.txt files (procpt corpora dm-math writes them)`,
      });
    }
    const tokenizer = options.tokenizer ?? new CharTokenizer();
    const { bos, sep, pad } = tokenizer.special;
    if (bos === undefined || sep === undefined || pad === undefined) {
      throw new ProcptError(
        'config',
        `the ${tokenizer.name} tokenizer lacks BOS, SEP or PAD, which DM-Math formatting needs`,
        {
          hint: 'use the char tokenizer',
        },
      );
    }
    return new DmMathSource(groups, tokenizer, options.seed ?? 42, part, { bos, sep, pad });
  }

  describe(): DataSpec {
    return {
      kind: 'dm-math',
      vocabSize: this.tokenizer.vocabSize,
      part: this.part,
      seed: this.seed,
      tokenizer: this.tokenizer.name,
      folders: this.groups.map((g) => g.folder),
      modules: this.groups[0]?.names.length ?? 0,
    };
  }

  private flat(): PairFile[] {
    return this.groups.flatMap((g) => g.files);
  }

  private restore(cursor: DataCursor | undefined): number {
    const files = this.flat();
    for (const f of files) f.seek(0);
    if (!cursor) return 0;
    const draws = cursor.draws;
    const offsets =
      typeof cursor.offsets === 'string' ? (JSON.parse(cursor.offsets) as Record<string, number>) : {};
    if (typeof draws !== 'number' || !Number.isInteger(draws) || draws < 0) {
      throw new ProcptError(
        'usage',
        `DM-Math cursor needs an integer draws field, got ${JSON.stringify(cursor)}`,
      );
    }
    for (const [i, off] of Object.entries(offsets)) {
      const f = files[Number(i)];
      if (f && Number.isInteger(off) && off >= 0) f.seek(off);
    }
    return draws;
  }

  private cursorAt(draws: number, override?: [number, number]): DataCursor {
    const offsets: Record<number, number> = {};
    this.flat().forEach((f, i) => {
      if (f.offset !== 0) offsets[i] = f.offset;
    });
    if (override) offsets[override[0]] = override[1];
    return { draws, offsets: JSON.stringify(offsets) };
  }

  private async draw(index: number): Promise<DmMathDraw & { fileIndex: number; offsetBefore: number }> {
    const rng = MathRng.fromSeed(this.seed, index);
    const gi = rng.int(this.groups.length);
    const group = this.groups[gi] as (typeof this.groups)[number];
    const mi = rng.int(group.files.length);
    const file = group.files[mi] as PairFile;
    let fileIndex = mi;
    for (let g = 0; g < gi; g++) fileIndex += (this.groups[g] as (typeof this.groups)[number]).files.length;
    const offsetBefore = file.offset;
    const [question, answer] = await file.next();
    return {
      question,
      answer,
      module: group.names[mi] as string,
      folder: group.folder,
      fileIndex,
      offsetBefore,
    };
  }

  /** Problems in draw order (endless), each with the cursor after it. */
  async *problems(cursor?: DataCursor): AsyncGenerator<DmMathDraw & { cursor: DataCursor }> {
    let draws = this.restore(cursor);
    for (;;) {
      const d = await this.draw(draws++);
      yield {
        question: d.question,
        answer: d.answer,
        module: d.module,
        folder: d.folder,
        cursor: this.cursorAt(draws),
      };
    }
  }

  /** `BOS question SEP answer` with loss 1 on the answer tokens. */
  encode(question: string, answer: string): Sample {
    const q = this.tokenizer.encode(question);
    const a = this.tokenizer.encode(answer);
    const tokens = new Int32Array(q.length + a.length + 2);
    const loss = new Uint8Array(tokens.length);
    tokens[0] = this.ids.bos;
    tokens.set(q, 1);
    tokens[q.length + 1] = this.ids.sep;
    tokens.set(a, q.length + 2);
    loss.fill(1, q.length + 2);
    return { tokens, loss };
  }

  /** Greedily packed batches `[batch, length]`; endless; each with the cursor to resume after it. */
  async *batches(options: {
    batch: number;
    length: number;
    cursor?: DataCursor;
  }): AsyncGenerator<CursorBatch> {
    const { batch, length } = options;
    if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(length) || length < 2) {
      throw new ProcptError(
        'config',
        `batch and length must be positive integers (length ≥ 2), got ${batch} × ${length}`,
      );
    }
    let draws = this.restore(options.cursor);
    let pending: { sample: Sample; draws: number; fileIndex: number; offsetBefore: number } | undefined;
    for (;;) {
      const tokens = new Int32Array(batch * length).fill(this.ids.pad);
      const loss = new Uint8Array(batch * length);
      for (let row = 0; row < batch; row++) {
        let used = 0;
        for (;;) {
          if (!pending) {
            const d = await this.draw(draws);
            pending = {
              sample: this.encode(d.question, d.answer),
              draws,
              fileIndex: d.fileIndex,
              offsetBefore: d.offsetBefore,
            };
            draws++;
          }
          const n = pending.sample.tokens.length;
          if (n > length) {
            pending = undefined; // longer than a whole row (only with tiny lengths): dropped
            continue;
          }
          if (used + n > length) break;
          tokens.set(pending.sample.tokens, row * length + used);
          loss.set(pending.sample.loss, row * length + used);
          used += n;
          pending = undefined;
        }
      }
      // resume re-reads the problem that did not fit
      const cursor = pending
        ? this.cursorAt(pending.draws, [pending.fileIndex, pending.offsetBefore])
        : this.cursorAt(draws);
      yield { tokens, loss, batch, length, cursor };
    }
  }

  /** Closes the open files. */
  async close(): Promise<void> {
    for (const f of this.flat()) await f.close();
  }
}

/** Opens a {@link DmMathSource}. */
export function dmMathSource(options: DmMathSourceOptions): Promise<DmMathSource> {
  return DmMathSource.open(options);
}
