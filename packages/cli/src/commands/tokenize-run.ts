import { stat } from 'node:fs/promises';
import { ProcptError, Progress, formatCount } from '@procpt/core';
import { type CorpusFormat, detectFormat, tokenizeCorpus } from '@procpt/corpora';
import {
  CharTokenizer,
  Gpt2Tokenizer,
  type SeparatorPolicy,
  type TextDocument,
  type Tokenizer,
  listInputFiles,
  readTextChunks,
  tokenizeToShard,
} from '@procpt/tokenizer';
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';

/** What an input format gives `procpt tokenize`: documents, streamed, and the bytes to expect. */
export interface TokenizeInput {
  /** Total input bytes, when known (drives the progress bar's percentage and ETA). */
  totalBytes?: number;
  /** Number of input files, for the summary. */
  files: number;
  /** The documents, consumed once, lazily. */
  documents: AsyncIterable<TextDocument>;
}

/**
 * An input format of `procpt tokenize --format <name>`. Add formats (e.g. C4 json.gz, DM-Math
 * question/answer files) by adding an entry to {@link tokenizeInputFormats}.
 */
export interface TokenizeInputFormat {
  readonly description: string;
  /** Opens `input` (a file or directory); `onBytes` is called as raw input bytes are read. */
  open(input: string, onBytes: (bytes: number) => void): Promise<TokenizeInput>;
}

/** Plain UTF-8 text: every file is one document, read in chunks cut at whitespace. */
const textFormat: TokenizeInputFormat = {
  description: 'plain UTF-8 text; each file is one document',
  async open(input, onBytes) {
    const files = await listInputFiles(input);
    let totalBytes = 0;
    for (const file of files) totalBytes += (await stat(file)).size;
    async function* documents(): AsyncGenerator<TextDocument> {
      for (const file of files) yield readTextChunks(file, { onBytes });
    }
    return { totalBytes, files: files.length, documents: documents() };
  },
};

/** Input formats by name; the first is the default. */
export const tokenizeInputFormats: Record<string, TokenizeInputFormat> = { text: textFormat };

/** The flags of `procpt tokenize`. */
export interface TokenizeFlags {
  tokenizer: string;
  in: string;
  out: string;
  format: string;
  separator?: string;
  endOfText: string;
  progress: boolean;
  onError: string;
  include?: string[];
  exclude?: string[];
  force?: boolean;
}

function pickTokenizer(flags: TokenizeFlags): Tokenizer {
  if (flags.endOfText !== 'text' && flags.endOfText !== 'special') {
    throw new ProcptError(
      'usage',
      `--end-of-text must be text or special, got ${JSON.stringify(flags.endOfText)}`,
    );
  }
  if (flags.tokenizer === 'gpt2') return new Gpt2Tokenizer({ endOfText: flags.endOfText });
  if (flags.tokenizer === 'char') return new CharTokenizer();
  throw new ProcptError('usage', `--tokenizer must be gpt2 or char, got ${JSON.stringify(flags.tokenizer)}`);
}

function pickSeparator(flags: TokenizeFlags, tokenizer: Tokenizer): SeparatorPolicy {
  const raw = flags.separator ?? (tokenizer.special.eos === undefined ? 'none' : 'eot');
  if (raw !== 'eot' && raw !== 'none') {
    throw new ProcptError('usage', `--separator must be eot or none, got ${JSON.stringify(raw)}`);
  }
  if (raw === 'eot' && tokenizer.special.eos === undefined) {
    throw new ProcptError(
      'usage',
      `--separator eot needs an end-of-text token; the ${tokenizer.name} tokenizer has none`,
      {
        hint: 'use --separator none',
      },
    );
  }
  return raw;
}

/** C4 / CodeParrot / DM-Math inputs, read by @procpt/corpora with the paper's joining rules. */
export const CORPUS_FORMATS = ['c4', 'codeparrot', 'dm-math'] as const;

async function runCorpusTokenize(flags: TokenizeFlags, format: CorpusFormat, ctx: CliContext): Promise<void> {
  if (flags.onError !== 'stop' && flags.onError !== 'skip') {
    throw new ProcptError('usage', `--on-error must be stop or skip, got ${JSON.stringify(flags.onError)}`);
  }
  const tokenizer = pickTokenizer(flags);
  let tokens = 0;
  const progress = tokenizeProgress(flags, ctx);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const started = performance.now();
  try {
    const separator = flags.separator === undefined ? undefined : pickSeparator(flags, tokenizer);
    const r = await tokenizeCorpus({
      input: flags.in,
      ...(flags.include ? { include: flags.include } : {}),
      ...(flags.exclude ? { exclude: flags.exclude } : {}),
      out: flags.out,
      force: flags.force === true,
      tokenizer,
      format,
      onError: flags.onError,
      signal: controller.signal,
      ...(separator === undefined ? {} : { separator }),
      onBytes: (bytes) => progress.tick(bytes, `${formatCount(tokens)} tokens`),
      onTokens: (t) => {
        tokens = t;
      },
    });
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    if (r.stats.skipped > 0) {
      ctx.warn(
        `skipped ${r.stats.skipped} bad record(s); first: ${r.stats.issues
          .map((i) => `${i.file}${i.line ? `:${i.line}` : ''} ${i.message}`)
          .slice(0, 3)
          .join('; ')}`,
      );
    }
    const summary = {
      out: r.path,
      tokenizer: tokenizer.toJSON(),
      format: r.format,
      separator: r.separator,
      files: r.files,
      documents: r.documents,
      characters: r.characters,
      bytes: r.bytes,
      tokens: r.tokens,
      skipped: r.stats.skipped,
      seconds: Number(seconds.toFixed(3)),
      tokensPerSecond: Math.round(r.tokens / Math.max(seconds, 1e-9)),
    };
    ctx.result(
      summary,
      () =>
        `wrote ${r.path}: ${r.tokens.toLocaleString('en-US')} ${tokenizer.name} tokens from ${r.documents} ${r.format} document(s) in ${r.files} file(s), joining ${r.separator}, ${seconds.toFixed(1)}s (${formatCount(summary.tokensPerSecond)} tokens/s)`,
    );
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** The action of `procpt tokenize`. */
export async function runTokenize(flags: TokenizeFlags, ctx: CliContext): Promise<void> {
  if (flags.format === 'auto') flags.format = await detectFormat(flags.in);
  // include/exclude globs are applied by the @procpt/corpora readers, for every format
  if (
    (CORPUS_FORMATS as readonly string[]).includes(flags.format) ||
    (flags.format === 'text' && (flags.include || flags.exclude))
  )
    return runCorpusTokenize(flags, flags.format as CorpusFormat, ctx);
  const format = Object.hasOwn(tokenizeInputFormats, flags.format)
    ? tokenizeInputFormats[flags.format]
    : undefined;
  if (!format) {
    throw new ProcptError(
      'usage',
      `--format must be one of ${[...Object.keys(tokenizeInputFormats), 'auto', ...CORPUS_FORMATS].join(', ')}, got ${JSON.stringify(flags.format)}`,
    );
  }
  const tokenizer = pickTokenizer(flags);
  const separator = pickSeparator(flags, tokenizer);
  let tokens = 0;
  const progress = tokenizeProgress(flags, ctx);
  const input = await format.open(flags.in, (bytes) => progress.tick(bytes, `${formatCount(tokens)} tokens`));
  if (input.totalBytes !== undefined) progress.setTotal(input.totalBytes);

  // Ctrl-C discards the partial shard instead of leaving a temp file behind.
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  const started = performance.now();
  try {
    const result = await tokenizeToShard({
      tokenizer,
      documents: input.documents,
      out: flags.out,
      force: flags.force === true,
      separator,
      signal: controller.signal,
      onProgress: (p) => {
        tokens = p.tokens;
      },
    });
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    const summary = {
      out: result.path,
      tokenizer: tokenizer.toJSON(),
      format: flags.format,
      separator,
      files: input.files,
      documents: result.documents,
      characters: result.characters,
      bytes: input.totalBytes,
      tokens: result.tokens,
      shardVersion: result.version,
      seconds: Number(seconds.toFixed(3)),
      tokensPerSecond: Math.round(result.tokens / Math.max(seconds, 1e-9)),
    };
    ctx.result(
      summary,
      () =>
        `wrote ${result.path}: ${result.tokens.toLocaleString('en-US')} ${tokenizer.name} tokens (${result.version === 1 ? 'uint16' : 'uint32'}) ` +
        `from ${result.documents} document(s) in ${input.files} file(s), separator ${separator}, ` +
        `${seconds.toFixed(1)}s (${formatCount(summary.tokensPerSecond)} tokens/s)`,
    );
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** The byte progress bar of `procpt tokenize` (silent with --no-progress or --json). */
function tokenizeProgress(flags: TokenizeFlags, ctx: CliContext): Progress {
  return new Progress({
    unit: 'bytes',
    label: 'tokenize',
    silent: !showProgress(ctx, flags),
    stream: ctx.stderr,
  });
}
