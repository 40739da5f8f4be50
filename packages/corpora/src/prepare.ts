import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProcptError, assertConfig, prepareOutput, writeJsonAtomic } from '@procpt/core';
import { CharTokenizer, Gpt2Tokenizer, ShardWriter, type Tokenizer, isTokenShard } from '@procpt/tokenizer';
import { DM_MATH_SPLITS, dmMathModules } from './dm-math/modules.js';
import { checkDmMathOutput, writeDmMath } from './dm-math/write.js';
import { type CorpusDomain, defaultCorporaFor, embeddedDocuments, listEmbeddedCorpora } from './embedded.js';
import { type TextPiece, packPieces } from './pack.js';
import { ParallelEncoder } from './parallel.js';
import { DmMathSource } from './readers/dm-math-source.js';

/** True when a document (by id) belongs to the validation split: md5(id) mod 10⁶ < fraction·10⁶. */
export function isValidationDocument(id: string, fraction: number): boolean {
  const h = createHash('md5').update(id).digest().readUInt32BE(0);
  return h % 1_000_000 < Math.round(fraction * 1_000_000);
}

/** Options of {@link prepareCorpus}. */
export interface PrepareOptions {
  domain: CorpusDomain;
  /** Output directory: `train.bin`, `val.bin`, `manifest.json` (math: also the DM-Math text files). */
  out: string;
  /** Fraction of documents in validation (default 0.05; math uses the `interpolate` split instead). */
  valFraction?: number;
  /** Embedded corpora to use (default: {@link defaultCorporaFor} the domain). */
  corpora?: readonly string[];
  /** Language/code: stop after this many documents (all by default); small budgets (tests, tiny presets). */
  maxDocuments?: number;
  /** Math: problems per module file (default 2000). */
  perModule?: number;
  /** Math: generator seed (default 0). */
  seed?: number;
  /** Worker threads for tokenizing (default: one per core). */
  threads?: number;
  /** Called with characters (language/code) or problems (math) done, and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** Replace files in `out` that procpt did not write (default: refused before any work). */
  force?: boolean;
}

/** What {@link prepareCorpus} wrote (also saved as `manifest.json`). */
export interface PrepareResult {
  domain: CorpusDomain;
  corpora: { name: string; licence: string }[];
  tokenizer: ReturnType<Tokenizer['toJSON']>;
  /** How documents are joined inside a shard. */
  joining: string;
  train: { path: string; documents: number; tokens: number };
  val: { path: string; documents: number; tokens: number };
  threads: number;
  notice?: string;
}

async function isPrepareManifest(path: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    return typeof m.domain === 'string' && typeof m.train === 'object' && typeof m.val === 'object';
  } catch {
    return false;
  }
}

const manifestPolicy = (force: boolean) =>
  ({ force, owned: isPrepareManifest, what: 'corpus manifest' }) as const;

/**
 * Checks every output of {@link prepareCorpus} before any work: `out` is (or can be) a folder, and
 * its `train.bin`, `val.bin`, `manifest.json` (and, for math, the DM-Math folder) are absent or
 * procpt's own — a file procpt did not write is refused unless `force`.
 */
export async function checkPrepareOutputs(out: string, domain: CorpusDomain, force = false): Promise<void> {
  await prepareOutput(out, { kind: 'container', what: 'corpus folder' });
  for (const name of ['train.bin', 'val.bin']) {
    await prepareOutput(join(out, name), { kind: 'file', force, owned: isTokenShard, what: 'token shard' });
  }
  await prepareOutput(join(out, 'manifest.json'), { kind: 'file', ...manifestPolicy(force) });
  if (domain === 'math') await checkDmMathOutput(out, force);
}

/**
 * Tokenizes an embedded corpus into llm.c token shards with the paper's joining rules:
 * language (C4 rule) — GPT-2 BPE, documents concatenated with no separator; code (CodeParrot rule)
 * — GPT-2 BPE, `<|endoftext|>` after every document; math (DM-Math rule) — the char tokenizer,
 * each problem `BOS question SEP answer` (answer-only loss is recovered from SEP/BOS), train drawn
 * difficulty-then-module uniformly from train-easy/medium/hard, validation = `interpolate`.
 * Train/validation documents are split by a hash of their id, so the split is stable.
 */
export async function prepareCorpus(options: PrepareOptions): Promise<PrepareResult> {
  const valFraction = options.valFraction ?? 0.05;
  assertConfig(valFraction > 0 && valFraction < 1, 'valFraction', 'a number in (0, 1)', valFraction);
  if (!['language', 'code', 'math'].includes(options.domain)) {
    throw new ProcptError(
      'usage',
      `--domain must be language, code or math, got ${JSON.stringify(options.domain)}`,
    );
  }
  await checkPrepareOutputs(options.out, options.domain, options.force);
  if (options.domain === 'math') return prepareMath(options);
  const defaults = defaultCorporaFor(options.domain);
  const names = options.corpora ?? defaults.names;
  const infos = await listEmbeddedCorpora({ sizes: false });
  const chosen = names.map((n) => {
    const info = infos.find((i) => i.name === n);
    if (!info || info.domain !== options.domain) {
      throw new ProcptError('usage', `${JSON.stringify(n)} is not an embedded ${options.domain} corpus`, {
        hint: `choose from ${infos
          .filter((i) => i.domain === options.domain)
          .map((i) => i.name)
          .join(', ')}`,
      });
    }
    return info;
  });
  const tokenizer = new Gpt2Tokenizer();
  const eot = options.domain === 'code' ? Gpt2Tokenizer.EOT : undefined;
  const force = options.force === true;
  const shard = { vocabSize: tokenizer.vocabSize, force };
  // Everything that can fail is opened inside the try: a failure must close the encoder's worker
  // threads, or the process prints its error and never exits.
  let encoder: ParallelEncoder | undefined;
  let train: ShardWriter | undefined;
  let val: ShardWriter | undefined;
  const counts = { train: 0, val: 0 };
  try {
    train = await ShardWriter.open(join(options.out, 'train.bin'), shard);
    val = await ShardWriter.open(join(options.out, 'val.bin'), shard);
    encoder = ParallelEncoder.create(tokenizer, options.threads);
    const pieces = (async function* (): AsyncGenerator<TextPiece> {
      for (const c of chosen) {
        for await (const doc of embeddedDocuments(c.name)) {
          if (counts.train + counts.val >= (options.maxDocuments ?? Number.POSITIVE_INFINITY)) return;
          const isVal = isValidationDocument(doc.id, valFraction);
          counts[isVal ? 'val' : 'train']++;
          yield { text: doc.text, last: true, writer: isVal ? 1 : 0 };
        }
      }
    })();
    await packPieces(pieces, {
      encoder,
      writers: [train, val],
      ...(eot === undefined ? {} : { separator: eot }),
      onProgress: (p) => options.onProgress?.(p.characters, undefined),
    });
    if (counts.val === 0 || counts.train === 0) {
      throw new ProcptError(
        'data',
        `the ${options.domain} corpus split gave an empty ${counts.val === 0 ? 'validation' : 'train'} set`,
        {
          hint: 'raise --val-fraction or add corpora',
        },
      );
    }
    const t = await train.close();
    const v = await val.close();
    const result: PrepareResult = {
      domain: options.domain,
      corpora: chosen.map((c) => ({ name: c.name, licence: c.licence })),
      tokenizer: tokenizer.toJSON(),
      joining:
        eot === undefined
          ? 'concatenated, no separator (C4 rule)'
          : '<|endoftext|> after every document (CodeParrot rule)',
      train: { path: t.path, documents: counts.train, tokens: t.tokens },
      val: { path: v.path, documents: counts.val, tokens: v.tokens },
      threads: encoder.threads,
      ...(defaults.notice && !options.corpora ? { notice: defaults.notice } : {}),
    };
    await writeJsonAtomic(
      join(options.out, 'manifest.json'),
      { ...result, valFraction },
      manifestPolicy(force),
    );
    return result;
  } catch (error) {
    await train?.abort();
    await val?.abort();
    throw error;
  } finally {
    await encoder?.close();
  }
}

async function prepareMath(options: PrepareOptions): Promise<PrepareResult> {
  const perModule = options.perModule ?? 2000;
  const seed = options.seed ?? 0;
  const tokenizer = new CharTokenizer();
  const force = options.force === true;
  await writeDmMath({ out: options.out, perModule, seed, splits: DM_MATH_SPLITS, force });
  // train draws as many problems as the three train folders hold; validation reads interpolate
  const total = (dmMathModules('train-easy').length * 3 + dmMathModules('interpolate').length) * perModule;
  const shards: Record<'train' | 'val', { path: string; documents: number; tokens: number }> = {
    train: { path: '', documents: 0, tokens: 0 },
    val: { path: '', documents: 0, tokens: 0 },
  };
  let done = 0;
  for (const [name, part] of [
    ['train', 'train'],
    ['val', 'interpolate'],
  ] as const) {
    const source = await DmMathSource.open({ root: options.out, part, seed, tokenizer });
    const files = (source.describe().modules as number) * (part === 'train' ? 3 : 1);
    const count = files * perModule;
    const writer = await ShardWriter.open(join(options.out, `${name}.bin`), {
      vocabSize: tokenizer.vocabSize,
      force,
    });
    try {
      let n = 0;
      for await (const p of source.problems()) {
        await writer.write(source.encode(p.question, p.answer).tokens);
        done++;
        if (done % 1000 === 0) options.onProgress?.(done, total);
        if (++n === count) break;
      }
      const r = await writer.close();
      shards[name] = { path: r.path, documents: n, tokens: r.tokens };
    } catch (error) {
      await writer.abort();
      throw error;
    } finally {
      await source.close();
    }
  }
  const result: PrepareResult = {
    domain: 'math',
    corpora: [{ name: 'dm-math-generated', licence: 'generated by procpt (MIT)' }],
    tokenizer: tokenizer.toJSON(),
    joining:
      'BOS question SEP answer per problem, back to back (DM-Math rule; loss on answer tokens = after SEP until the next BOS)',
    train: shards.train,
    val: shards.val,
    threads: 1,
  };
  await writeJsonAtomic(
    join(options.out, 'manifest.json'),
    { ...result, perModule, seed },
    manifestPolicy(force),
  );
  return result;
}
