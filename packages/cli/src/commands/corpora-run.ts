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
import type { CliContext } from '../context.js';
import { showProgress } from '../flags.js';

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The action of `procpt corpora list`. */
export async function runList(ctx: CliContext): Promise<void> {
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

/** The flags of `procpt corpora dm-math`. */
export interface DmFlags {
  out?: string;
  perModule: number;
  seed: number;
  split?: string[];
  module?: string[];
  list?: boolean;
  progress: boolean;
  force?: boolean;
}

/** The action of `procpt corpora dm-math`. */
export async function runDmMath(flags: DmFlags, ctx: CliContext): Promise<void> {
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
    silent: !showProgress(ctx, flags),
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

/** The flags of `procpt corpora prepare`. */
export interface PrepareFlags {
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

/** The action of `procpt corpora prepare`. */
export async function runPrepare(flags: PrepareFlags, ctx: CliContext): Promise<void> {
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
    silent: !showProgress(ctx, flags),
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
