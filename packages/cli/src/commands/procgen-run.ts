import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  type AtomicWriteStream,
  Progress,
  ProcptError,
  createAtomicWriteStream,
  formatValue,
  fsError,
  parseDecimal,
  readTextFileLimited,
} from '@procpt/core';
import {
  type Generator,
  type GeneratorSpec,
  TYPE_NAMES,
  createGenerator,
  generateTokenChunks,
  listTypes,
} from '@procpt/procgen';
import * as tokenizer from '@procpt/tokenizer';
import { SHARD_MAX_TOKENS } from '@procpt/tokenizer';
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';

/** The flags of `procpt gen` as commander hands them over (numbers parsed by the flags' parsers). */
export interface GenFlags {
  list?: boolean;
  n?: number;
  tokens?: number;
  seed?: number;
  start?: number;
  format: string;
  out?: string;
  spec?: string;
  shuffled?: boolean;
  workers?: number;
  force?: boolean;
  progress?: boolean;
}

/** Names a `--<param>` flag may have: lower-case words joined by dashes (no `__proto__`, no `--1`). */
const PARAM_FLAG = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Splits what commander left over (the type operand and `--<param> value` pairs) and checks every
 * param against the type's schema names, so a typo is a usage error, not a silently ignored flag.
 */
function parseRest(args: readonly string[]): { type: string | undefined; params: Record<string, unknown> } {
  let type: string | undefined;
  const params: Record<string, unknown> = Object.create(null);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) {
      if (type !== undefined)
        throw new ProcptError(
          'usage',
          `gen takes one type, got ${JSON.stringify(type)} and ${JSON.stringify(arg)}`,
        );
      type = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq < 0 ? undefined : eq);
    if (!PARAM_FLAG.test(flag)) {
      throw new ProcptError(
        'usage',
        `gen: ${JSON.stringify(arg.slice(0, eq < 0 ? undefined : eq))} is not a valid option name`,
        {
          hint: 'parameters are --<name> value, e.g. --k 16 (procpt gen --list shows them)',
        },
      );
    }
    const name = camel(flag);
    if (Object.hasOwn(params, name)) throw new ProcptError('usage', `gen: --${flag} is given twice`);
    let raw: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    if (raw === undefined) {
      raw = args[i + 1];
      if (raw === undefined || raw.startsWith('--')) throw new ProcptError('usage', `${arg} needs a value`);
      i++;
    }
    // Plain decimal only: `--length 0x10` stays the string "0x10" and the type's schema rejects it.
    params[name] = parseDecimal(raw) ?? raw;
  }
  return { type, params };
}

async function readSpec(raw: string): Promise<GeneratorSpec> {
  const text = raw.trim().startsWith('{')
    ? raw
    : existsSync(raw)
      ? await readTextFileLimited(raw, `--spec file ${raw}`, { code: 'usage' })
      : undefined;
  if (text === undefined)
    throw new ProcptError('usage', `--spec must be a JSON object or a JSON file, got ${JSON.stringify(raw)}`);
  try {
    const spec = JSON.parse(text) as unknown;
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error('not an object');
    return spec as GeneratorSpec;
  } catch (error) {
    throw new ProcptError('usage', `--spec is not a JSON object: ${(error as Error).message}`);
  }
}

/** The generator spec of a `gen` invocation: `<type> --<param> value …`, or `--spec`. */
export async function buildSpec(flags: GenFlags, args: readonly string[]): Promise<GeneratorSpec> {
  const { type, params } = parseRest(args);
  const seed = flags.seed;
  let spec: GeneratorSpec;
  if (flags.spec !== undefined) {
    if (type !== undefined || Object.keys(params).length > 0) {
      throw new ProcptError(
        'usage',
        '--spec replaces the type and its --<param> flags: give one or the other',
      );
    }
    spec = await readSpec(flags.spec);
  } else {
    if (type === undefined) {
      throw new ProcptError('usage', 'gen needs a type (or --spec, or --list)', {
        hint: `types: ${TYPE_NAMES.join(', ')}`,
      });
    }
    const info = listTypes().find((t) => t.type === type);
    if (!info) {
      throw new ProcptError(
        'usage',
        `gen: type must be one of ${TYPE_NAMES.join(', ')}, got ${JSON.stringify(type)}`,
        {
          hint: 'procpt gen --list shows them with their parameters',
        },
      );
    }
    if (type === 'shuffled' || type === 'mixture') {
      throw new ProcptError(
        'usage',
        `${type} takes nested specs: use --spec '{"type":"${type}",...}' (or --shuffled)`,
      );
    }
    const known = new Set(info.params.map((p) => p.name));
    for (const name of Object.keys(params)) {
      if (!known.has(name)) {
        throw new ProcptError('usage', `gen ${type} has no option --${kebab(name)}`, {
          hint: `its parameters: ${info.params.map((p) => `--${kebab(p.name)}`).join(', ')}`,
        });
      }
    }
    // Flags are strings: createGenerator validates the spec at run time.
    spec = { type, ...params } as GeneratorSpec;
  }
  if (seed !== undefined) spec = { ...spec, seed };
  return flags.shuffled
    ? { type: 'shuffled', ...(spec.seed === undefined ? {} : { seed: spec.seed }), base: spec }
    : spec;
}

function printList(ctx: CliContext): void {
  const types = listTypes();
  ctx.result(types, () =>
    types
      .map((t) => {
        const params = t.params.map(
          (p) =>
            `    --${kebab(p.name).padEnd(10)} ${p.default === undefined ? '' : `default ${p.default}; `}${p.range}: ${p.doc}`,
        );
        return [`${t.type.padEnd(13)} ${t.summary}`, ...params].join('\n');
      })
      .join('\n'),
  );
}

/** True when a file starts like `procpt gen` JSONL (procpt's own, so it may be replaced). */
async function isSampleJsonl(path: string): Promise<boolean> {
  const head = Buffer.alloc(11);
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    await handle.read(head, 0, head.length, 0);
    return head.toString('utf8') === '{"tokens":[';
  } finally {
    await handle.close();
  }
}

async function writeJsonl(
  gen: Generator,
  start: number,
  n: number,
  out: string | undefined,
  ctx: CliContext,
  force = false,
) {
  const file: AtomicWriteStream | undefined =
    out !== undefined && out !== '-'
      ? await createAtomicWriteStream(out, { force, owned: isSampleJsonl, what: 'JSONL of samples' })
      : undefined;
  const sink: NodeJS.WritableStream = file ? file.stream : ctx.stdout;
  // A reader that stops early (`procpt gen dyck | head`) closes the pipe: stop quietly, like Unix tools.
  let failure: (Error & { code?: string }) | undefined;
  const onError = (error: Error) => {
    failure = error;
  };
  sink.on('error', onError);
  const room = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        sink.off('drain', done);
        sink.off('error', done);
        sink.off('close', done);
        resolve();
      };
      sink.once('drain', done);
      sink.once('error', done);
      sink.once('close', done);
    });
  try {
    for (let i = 0; i < n && !failure; i++) {
      const { tokens, loss } = gen.sample(start + i);
      const line = `{"tokens":[${tokens.join(',')}],"loss":[${loss.join(',')}]}\n`;
      if (!sink.write(line)) await room();
    }
    if (failure && !(failure.code === 'EPIPE' && !file)) {
      throw file
        ? fsError(failure, 'write', out as string)
        : new ProcptError('io', `could not write stdout: ${failure.message}`, { cause: failure });
    }
    if (file) {
      await file.commit();
      ctx.warn(`wrote ${n} ${gen.type} samples to ${out}`);
    }
  } catch (error) {
    await file?.abort();
    throw error;
  } finally {
    sink.off('error', onError);
  }
}

interface ShardWriterLike {
  write(tokens: ArrayLike<number>): Promise<void>;
  close(): Promise<{ path: string; tokens: number }>;
  abort(): Promise<void>;
}
type OpenShard = (path: string, options: { vocabSize: number; force?: boolean }) => Promise<ShardWriterLike>;

async function writeBin(spec: GeneratorSpec, gen: Generator, flags: GenFlags, ctx: CliContext) {
  const out = flags.out;
  if (out === undefined || out === '-')
    throw new ProcptError('usage', '--format bin needs --out PATH (a .bin token shard)');
  // A shard holds at most 2^31 - 1 tokens (its header stores the count as an int32): refused
  // here, before a minute of generation, not when the writer overflows.
  const samples = flags.n;
  const tokens = flags.tokens;
  if ((samples === undefined) === (tokens === undefined)) {
    throw new ProcptError('usage', '--format bin needs exactly one of --n (samples) and --tokens');
  }
  if (samples !== undefined && samples * gen.maxLength > SHARD_MAX_TOKENS) {
    throw new ProcptError(
      'usage',
      `--n ${samples} samples of up to ${gen.maxLength} tokens may exceed the ${SHARD_MAX_TOKENS} tokens one shard holds`,
      {
        hint: `use at most --n ${Math.floor(SHARD_MAX_TOKENS / gen.maxLength)}, or --tokens N (cuts the last sample), or several shards with --start`,
      },
    );
  }
  const workers = flags.workers;
  // Looked up at run time so a tokenizer build without shards gives a clear error, not a crash.
  const Writer = (tokenizer as Record<string, unknown>).ShardWriter as { open?: OpenShard } | undefined;
  if (typeof Writer?.open !== 'function') {
    throw new ProcptError(
      'usage',
      '--format bin is not available: @procpt/tokenizer does not export ShardWriter',
    );
  }
  const writer = await Writer.open(out, { vocabSize: gen.vocabSize, force: flags.force === true });
  const total = tokens ?? (samples as number) * gen.maxLength;
  const progress = new Progress({
    unit: 'tokens',
    total,
    label: `gen ${gen.type}`,
    silent: !showProgress(ctx, flags),
  });
  const started = performance.now();
  let written = 0;
  try {
    for await (const chunk of generateTokenChunks(spec, {
      start: flags.start ?? 0,
      ...(tokens === undefined ? { samples: samples as number } : { tokens }),
      ...(workers === undefined ? {} : { workers }),
    })) {
      await writer.write(chunk.tokens);
      written += chunk.tokens.length;
      progress.update(written);
    }
    const closed = await writer.close();
    progress.stop();
    const seconds = (performance.now() - started) / 1000;
    ctx.result(
      {
        path: closed.path,
        tokens: closed.tokens,
        seconds,
        tokensPerSecond: closed.tokens / seconds,
        spec: gen.describe(),
      },
      () => `wrote ${closed.tokens} ${gen.type} tokens to ${closed.path} in ${seconds.toFixed(1)} s`,
    );
  } catch (error) {
    await writer.abort();
    throw error;
  }
}

/** The action of `procpt gen`: `args` are what commander left over (the type and its `--<param>` flags). */
export async function gen(ctx: CliContext, flags: GenFlags, args: readonly string[]): Promise<void> {
  if (flags.list) return printList(ctx);
  const spec = await buildSpec(flags, args);
  const generator = createGenerator(spec);
  if (flags.format === 'jsonl') {
    if (flags.tokens !== undefined) throw new ProcptError('usage', '--tokens is for --format bin; use --n');
    if (flags.workers !== undefined)
      throw new ProcptError('usage', '--workers is for --format bin; jsonl is written by one thread');
    return writeJsonl(generator, flags.start ?? 0, flags.n ?? 10, flags.out, ctx, flags.force === true);
  }
  if (flags.format === 'bin') return writeBin(spec, generator, flags, ctx);
  throw new ProcptError('usage', `--format must be jsonl or bin, got ${formatValue(flags.format)}`);
}
