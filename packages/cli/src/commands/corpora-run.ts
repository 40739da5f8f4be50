import { ProcptError, Progress, formatCount } from '@procpt/core';
import {
  type CorpusDomain,
  DM_MATH_MODULES,
  DM_MATH_SPLITS,
  type DmMathSplit,
  listEmbeddedCorpora,
  prepareCorpus,
  writeDmMath,
} from '@procpt/corpora';
import type { Command } from 'commander';
import { type CliContext, parseIntOption, parseNumberOption } from '../context.js';
import type { CommandModule } from '../program.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

async function runList(ctx: CliContext): Promise<void> {
  const corpora = await listEmbeddedCorpora();
  ctx.result(corpora, () =>
    corpora
      .map((c) => {
        const size =
          c.domain === 'math'
            ? 'any size (generated)'
            : c.available
              ? `${c.documents} docs, ${mb(c.bytes)}`
              : 'not available';
        const notice = c.notice ? `\n    note: ${c.notice}` : '';
        return `${c.name.padEnd(18)} ${c.domain.padEnd(9)} ${size}\n    ${c.description}\n    licence: ${c.licence}\n    from: ${c.location}${notice}`;
      })
      .join('\n'),
  );
}

interface DmFlags {
  out?: string;
  perModule: number;
  seed: number;
  split?: string[];
  module?: string[];
  list?: boolean;
  progress: boolean;
  force?: boolean;
}

async function runDmMath(flags: DmFlags, ctx: CliContext): Promise<void> {
  if (flags.list) {
    const rows = DM_MATH_MODULES.map((m) => ({ name: m.name, splits: m.splits }));
    ctx.result(rows, () => rows.map((r) => `${r.name.padEnd(46)} ${r.splits.join(', ')}`).join('\n'));
    return;
  }
  if (!flags.out) throw new ProcptError('usage', '--out <dir> is required (or pass --list)');
  for (const s of flags.split ?? []) {
    if (!(DM_MATH_SPLITS as readonly string[]).includes(s)) {
      throw new ProcptError(
        'usage',
        `--split must be one of ${DM_MATH_SPLITS.join(', ')}, got ${JSON.stringify(s)}`,
      );
    }
  }
  const splits = (flags.split ?? DM_MATH_SPLITS) as readonly DmMathSplit[];
  const files = DM_MATH_MODULES.filter((m) => !flags.module || flags.module.includes(m.name)).reduce(
    (n, m) => n + m.splits.filter((s) => splits.includes(s)).length,
    0,
  );
  const progress = new Progress({
    unit: 'problems',
    label: 'dm-math',
    total: files * flags.perModule,
    silent: !flags.progress,
    stream: ctx.stderr,
  });
  const result = await writeDmMath({
    out: flags.out,
    perModule: flags.perModule,
    seed: flags.seed,
    splits,
    ...(flags.module ? { modules: flags.module } : {}),
    force: flags.force === true,
    onProgress: (pairs) => progress.update(pairs),
  });
  progress.stop();
  ctx.result(
    result,
    () =>
      `wrote ${result.files} files, ${result.pairs.toLocaleString('en-US')} problems (${mb(result.bytes)}) under ${result.root}`,
  );
}

interface PrepareFlags {
  domain: string;
  out: string;
  valFraction?: number;
  perModule?: number;
  seed?: number;
  threads?: number;
  corpus?: string[];
  progress: boolean;
  force?: boolean;
}

async function runPrepare(flags: PrepareFlags, ctx: CliContext): Promise<void> {
  if (!['language', 'code', 'math'].includes(flags.domain)) {
    throw new ProcptError(
      'usage',
      `--domain must be language, code or math, got ${JSON.stringify(flags.domain)}`,
    );
  }
  const domain = flags.domain as CorpusDomain;
  const progress = new Progress({
    unit: domain === 'math' ? 'problems' : 'chars',
    label: `prepare ${domain}`,
    silent: !flags.progress,
    stream: ctx.stderr,
  });
  const result = await prepareCorpus({
    domain,
    out: flags.out,
    ...(flags.valFraction === undefined ? {} : { valFraction: flags.valFraction }),
    ...(flags.perModule === undefined ? {} : { perModule: flags.perModule }),
    ...(flags.seed === undefined ? {} : { seed: flags.seed }),
    ...(flags.threads === undefined ? {} : { threads: flags.threads }),
    ...(flags.corpus ? { corpora: flags.corpus } : {}),
    force: flags.force === true,
    onProgress: (done, total) => {
      if (total !== undefined) progress.setTotal(total);
      progress.update(done);
    },
  });
  progress.stop();
  if (result.notice) ctx.warn(`note: ${result.notice}`);
  ctx.result(
    result,
    () =>
      `${domain}: train ${formatCount(result.train.tokens)} tokens (${result.train.documents} docs) → ${result.train.path}\n` +
      `${' '.repeat(domain.length)}  val   ${formatCount(result.val.tokens)} tokens (${result.val.documents} docs) → ${result.val.path}\n` +
      `joining: ${result.joining}; ${result.threads} thread(s); sources: ${result.corpora.map((c) => c.name).join(', ')}`,
  );
}

function register(program: Command, ctx: CliContext): void {
  const corpora = program
    .command('corpora')
    .description('C4 / CodeParrot / DM-Math corpora: the embedded defaults and a DM-Math generator');
  corpora
    .command('list')
    .description('embedded corpora on this machine, with sizes and licences')
    .action(() => runList(ctx));
  corpora
    .command('dm-math')
    .description('write DeepMind-Math-format files (mathematics_dataset-v1.0/<split>/<module>.txt)')
    .option('--out <dir>', 'output directory')
    .option(
      '--per-module <n>',
      'question/answer pairs per module file',
      parseIntOption('--per-module', 1),
      1000,
    )
    .option('--seed <n>', 'generator seed (same seed, same bytes)', parseIntOption('--seed', 0), 0)
    .option('--split <name...>', `only these folders: ${DM_MATH_SPLITS.join(', ')}`)
    .option('--module <name...>', 'only these modules (see --list)')
    .option('--list', 'list the modules and their splits')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--force', 'overwrite the files of a DM-Math folder procpt did not generate')
    .action((flags: DmFlags) => runDmMath(flags, ctx));
  corpora
    .command('prepare')
    .description(
      'tokenize an embedded corpus into train/val token shards (.bin) with the paper joining rules',
    )
    .requiredOption('--domain <name>', 'language (C4 stand-in), code (CodeParrot stand-in) or math (DM-Math)')
    .requiredOption('--out <dir>', 'output directory: train.bin, val.bin, manifest.json')
    .option(
      '--val-fraction <x>',
      'fraction of documents for validation (split by document hash; default 0.05)',
      parseNumberOption('--val-fraction', { min: 0, max: 1, maxExclusive: true }),
    )
    .option(
      '--per-module <n>',
      'math: problems per module file (default 2000)',
      parseIntOption('--per-module', 1),
    )
    .option('--seed <n>', 'math: generator seed (default 0)', parseIntOption('--seed', 0))
    .option(
      '--threads <n>',
      'tokenizer worker threads (default: one per core)',
      parseIntOption('--threads', { min: 1, limit: 'workers' }),
    )
    .option('--corpus <name...>', 'embedded corpora to use (see corpora list)')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--force', 'replace files in --out that procpt did not write')
    .action((flags: PrepareFlags) => runPrepare(flags, ctx));
}

/** `procpt corpora list | dm-math | prepare`, from @procpt/corpora. */
export const corporaCommands: CommandModule = { source: '@procpt/corpora', register };
