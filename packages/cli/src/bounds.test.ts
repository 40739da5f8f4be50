// Issue 19 ("Never lose or clobber a user's data"), the limits and errors half: one test per
// finding, each through the real `procpt` command line (in process). Every failure must be
// `procpt: <message>` plus at most a `hint:` line, with exit 2 for usage/configuration and 1 for
// data/runtime errors, fast, and without writing anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ProcptError } from '@procpt/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reportError } from './program.js';
import { type CliRun, runProcpt } from './testing.js';

let root: string;
let ckpt: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'procpt-cli-bounds-'));
  ckpt = join(root, 'ckpt');
  const init = await runProcpt([
    'model',
    'init',
    '--size',
    '2_4_16',
    '--vocab',
    '11',
    '--positions',
    '9',
    '--out',
    ckpt,
  ]);
  expect(init.code).toBe(0);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(() => {
  for (const v of ['PROCPT_MAX_DOCUMENT_MB', 'PROCPT_MAX_GZIP_RATIO', 'PROCPT_MAX_WORKERS', 'PROCPT_DEBUG'])
    delete process.env[v];
});

/** Asserts the one error format: `procpt: …` then at most one `hint: …`, no stack, and the exit code. */
function expectFailure(res: CliRun, code: 1 | 2, message: RegExp): void {
  expect(res.code, res.err).toBe(code);
  const lines = res.err.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^procpt: /);
  expect(lines[0]).toMatch(message);
  expect(lines.length, res.err).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(res.err).not.toMatch(/\n\s+at /);
}

async function timed(argv: string[]): Promise<CliRun & { ms: number }> {
  const t0 = performance.now();
  const res = await runProcpt(argv);
  return { ...res, ms: performance.now() - t0 };
}

async function checkpointVariant(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name);
  await cp(ckpt, dir, { recursive: true });
  await edit(dir);
  return dir;
}

describe('finding 4: no size limits', () => {
  it('gen --format bin --workers 1e6 is a usage error (no million threads), and so is --workers 0', async () => {
    process.env.PROCPT_MAX_WORKERS = '8';
    const out = join(root, 'w.bin');
    expectFailure(
      await runProcpt(['gen', 'dyck', '--format', 'bin', '--n', '4', '--workers', '1e6', '--out', out]),
      2,
      /--workers must be an integer in \[1, 8\], got "1e6"/,
    );
    expectFailure(
      await runProcpt(['gen', 'dyck', '--format', 'bin', '--n', '4', '--workers', '0', '--out', out]),
      2,
      /--workers must be an integer in \[1, 8\], got "0"/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('model init --size 99_99_9999 is refused at once by the memory estimate, writing nothing', async () => {
    const out = join(root, 'huge');
    const res = await timed([
      'model',
      'init',
      '--size',
      '99_99_9999',
      '--vocab',
      '100',
      '--positions',
      '64',
      '--out',
      out,
    ]);
    expectFailure(
      res,
      2,
      /model init: model 99_99_9999 .* needs about .* GiB to build, over the .* memory limit/,
    );
    expect(res.err).toMatch(/hint: .*PROCPT_MEMORY_LIMIT_MB/);
    expect(res.ms).toBeLessThan(5000);
    expect(existsSync(out)).toBe(false);
  });

  it('bench train --size 99_99_9999 is refused by the training memory estimate before any model exists', async () => {
    const res = await timed(['bench', 'train', '--size', '99_99_9999', '--backend', 'cpu']);
    expectFailure(res, 2, /bench train 99_99_9999: a training step needs about .* GB/);
    expect(res.ms).toBeLessThan(10_000);
  });

  it('a checkpoint whose config.json says n_layer 1e9 fails at once in every command that reads it', async () => {
    const dir = await checkpointVariant('layers-1e9', async (d) => {
      const { readFile } = await import('node:fs/promises');
      const hf = JSON.parse(await readFile(join(d, 'config.json'), 'utf8'));
      await writeFile(join(d, 'config.json'), JSON.stringify({ ...hf, n_layer: 1e9 }));
      await rm(join(d, 'procpt.json'));
    });
    const data = join(root, 'ok.jsonl');
    await writeFile(data, '{"tokens":[1,2,3],"loss":[0,1,1]}\n');
    for (const argv of [
      ['model', 'info', dir],
      ['eval', 'loss', '--checkpoint', dir, '--data', data, '--backend', 'cpu'],
      ['model', 'transfer', '--from', ckpt, '--to-config', dir, '--out', join(root, 't-1e9')],
      ['eval', 'diag', '--task', 'addition', '--checkpoint', dir, '--backend', 'cpu', '--n', '4'],
    ]) {
      const res = await timed(argv);
      expectFailure(res, 2, /config\.json: model nLayer is 1000000000, over the limit of 1024/);
      expect(res.ms, argv.join(' ')).toBeLessThan(5000);
    }
  });

  it('gen --format bin --tokens 1e15 fails before generating anything (the 2^31 shard bound)', async () => {
    const out = join(root, 'big.bin');
    const res = await timed(['gen', 'dyck', '--format', 'bin', '--tokens', '1e15', '--out', out]);
    expectFailure(res, 2, /--tokens must be an integer in \[0, 2147483647\], got "1e15"/);
    expect(res.ms).toBeLessThan(2000);
    const n = await timed(['gen', 'dyck', '--format', 'bin', '--n', '1e9', '--out', out]);
    expectFailure(n, 2, /--n 1000000000 samples of up to 2048 tokens may exceed the 2147483647 tokens/);
    expect(existsSync(out)).toBe(false);
  });

  it('a small .json.gz holding one huge document is refused in bounded memory (document and ratio limits)', async () => {
    const dir = join(root, 'c4');
    await mkdir(dir);
    const file = join(dir, 'c4-train.00000-of-01024.json.gz');
    await writeFile(
      file,
      gzipSync(Buffer.concat([Buffer.from('{"text":"'), Buffer.alloc(40 << 20, 'a'), Buffer.from('"}\n')])),
    );
    const out = join(root, 'c4.bin');
    const ratio = await runProcpt([
      'tokenize',
      '--tokenizer',
      'gpt2',
      '--in',
      file,
      '--out',
      out,
      '--no-progress',
    ]);
    expectFailure(ratio, 1, /gzip data inflates more than 100× .*: a gzip bomb or a damaged file/);
    process.env.PROCPT_MAX_GZIP_RATIO = '100000';
    process.env.PROCPT_MAX_DOCUMENT_MB = '4';
    const doc = await runProcpt([
      'tokenize',
      '--tokenizer',
      'gpt2',
      '--in',
      file,
      '--out',
      out,
      '--no-progress',
    ]);
    expectFailure(doc, 1, /\(line 1\): a document longer than 4\.0 MiB \(the per-document limit\)/);
    expect(doc.err).toMatch(/hint: set PROCPT_MAX_DOCUMENT_MB to raise the limit/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('finding 6: stack traces instead of errors', () => {
  it('--vocab 1e12 names the flag and its limit, not "Invalid typed array length"', async () => {
    const res = await runProcpt([
      'model',
      'init',
      '--size',
      '2_4_16',
      '--vocab',
      '1e12',
      '--positions',
      '8',
      '--out',
      join(root, 'v'),
    ]);
    expectFailure(res, 2, /--vocab must be an integer in \[1, 16777216\], got "1e12"/);
    expect(res.err).toMatch(/hint: set PROCPT_MAX_VOCAB to raise the limit/);
  });

  it('--spec \'{"type":"__proto__"}\' names the type, not "Cannot convert undefined or null to object"', async () => {
    expectFailure(
      await runProcpt(['gen', '--spec', '{"type":"__proto__"}']),
      2,
      /type must be one of .* got "__proto__"/,
    );
    expectFailure(
      await runProcpt(['gen', '--spec', '{"type":"shuffled","base":{"type":"constructor"}}']),
      2,
      /shuffled\.base\.type must be one of/,
    );
  });

  it('a bad procpt.json is named, with the field', async () => {
    const dir = await checkpointVariant('bad-manifest', (d) =>
      writeFile(
        join(d, 'procpt.json'),
        '{"format":"procpt-checkpoint","version":1,"files":{"model.safetensors":null}}',
      ),
    );
    expectFailure(
      await runProcpt(['model', 'info', dir]),
      1,
      /bad-manifest\/procpt\.json: files\.model\.safetensors must be \{bytes, sha256\}, got null/,
    );
  });

  it('a safetensors header entry null is named, not "Cannot read properties of null"', async () => {
    const dir = await checkpointVariant('null-entry', async (d) => {
      const json = Buffer.from('{"transformer.wte.weight":null}');
      const head = Buffer.alloc(8);
      head.writeBigUInt64LE(BigInt(json.length));
      await writeFile(join(d, 'model.safetensors'), Buffer.concat([head, json]));
      await rm(join(d, 'procpt.json'));
    });
    const data = join(root, 'ok2.jsonl');
    await writeFile(data, '{"tokens":[1,2,3],"loss":[0,1,1]}\n');
    expectFailure(
      await runProcpt(['eval', 'loss', '--checkpoint', dir, '--data', data, '--backend', 'cpu']),
      1,
      /model\.safetensors: tensor transformer\.wte\.weight must be an object with dtype, shape and data_offsets, got null/,
    );
  });

  it('commander errors, bugs and system errors share the format; PROCPT_DEBUG=1 adds the stack', async () => {
    expectFailure(await runProcpt(['no-such-command']), 2, /^procpt: unknown command 'no-such-command'/);
    expectFailure(await runProcpt(['model', 'info']), 2, /^procpt: missing required argument 'dir'/);
    expectFailure(
      await runProcpt(['model', 'info', join(root, 'missing')]),
      1,
      /cannot read .*missing\/config\.json/,
    );
    const capture = () => {
      const s = new PassThrough();
      let text = '';
      s.on('data', (d) => {
        text += d;
      });
      return { s, text: () => text };
    };
    const a = capture();
    expect(reportError(new TypeError("Cannot read properties of null (reading 'x')"), a.s, false)).toBe(1);
    expect(a.text()).toBe(
      "procpt: internal error: Cannot read properties of null (reading 'x')\nhint: this is a bug in procpt: rerun with PROCPT_DEBUG=1 for the stack trace and report it\n",
    );
    const b = capture();
    expect(reportError(new ProcptError('config', 'line one\nline two'), b.s, true)).toBe(2);
    expect(b.text()).toMatch(/^procpt: line one line two\n {4}at |^procpt: line one line two\nProcptError/);
    process.env.PROCPT_DEBUG = '1';
    const debug = await runProcpt(['gen', 'dyck', '--length', '3']);
    expect(debug.code).toBe(2);
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it('the built bin reports errors the same way and never prints a stack (when built)', () => {
    const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
    if (!existsSync(bin)) return; // `pnpm build` first; the in-process tests above cover the logic
    const res = spawnSync(process.execPath, [bin, 'gen', 'dyck', '--length', '0x10'], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(
      /^procpt: dyck\.length must be an even integer in \[2, 67108864\], got "0x10"\n$/,
    );
  });
});

describe('finding 9: bad input accepted', () => {
  it('a loss mask [0,2,"x"] is a data error naming file and line (not loss NaN with exit 0)', async () => {
    const data = join(root, 'mask.jsonl');
    await writeFile(data, '{"tokens":[1,2,3],"loss":[0,1,1]}\n{"tokens":[1,2,3],"loss":[0,2,"x"]}\n');
    expectFailure(
      await runProcpt(['eval', 'loss', '--checkpoint', ckpt, '--data', data, '--backend', 'cpu']),
      1,
      /mask\.jsonl:2: loss-mask value 2 at 1 is not 0 or 1/,
    );
    await writeFile(data, '{"tokens":[1,2,3],"loss":[0,1,"x"]}\n');
    expectFailure(
      await runProcpt(['eval', 'loss', '--checkpoint', ckpt, '--data', data, '--backend', 'cpu']),
      1,
      /mask\.jsonl:1: loss-mask value "x" at 2 is not 0 or 1/,
    );
  });

  it('NaN weights are a data error naming the tensor', async () => {
    const dir = await checkpointVariant('nan-weights', async (d) => {
      const { readFile } = await import('node:fs/promises');
      const bytes = await readFile(join(d, 'model.safetensors'));
      const headerLen = Number(bytes.readBigUInt64LE(0));
      bytes.writeFloatLE(Number.NaN, 8 + headerLen); // the first value of the first tensor
      await writeFile(join(d, 'model.safetensors'), bytes);
      await rm(join(d, 'procpt.json'));
    });
    const data = join(root, 'ok3.jsonl');
    await writeFile(data, '{"tokens":[1,2,3],"loss":[0,1,1]}\n');
    expectFailure(
      await runProcpt(['eval', 'loss', '--checkpoint', dir, '--data', data, '--backend', 'cpu']),
      1,
      /model\.safetensors: tensor .* holds a non-finite value \(NaN\) at index 0/,
    );
  });

  it('a 0-byte .json.gz is a corrupt input and no empty shard is written', async () => {
    const dir = join(root, 'empty-gz');
    await mkdir(dir);
    await writeFile(join(dir, 'c4-train.00000-of-01024.json.gz'), '');
    const out = join(root, 'empty.bin');
    expectFailure(
      await runProcpt(['tokenize', '--tokenizer', 'gpt2', '--in', dir, '--out', out, '--no-progress']),
      1,
      /not a gzip file \(0 bytes, no gzip header\) although named \.gz/,
    );
    expectFailure(
      await runProcpt([
        'tokenize',
        '--tokenizer',
        'gpt2',
        '--in',
        dir,
        '--out',
        out,
        '--no-progress',
        '--on-error',
        'skip',
      ]),
      1,
      /holds no documents: no shard written/,
    );
    expect((await readdir(root)).filter((f) => f.startsWith('empty.bin'))).toEqual([]);
  });

  it('--workers 0, --length 0x10 and gen dyck --__proto__ 3 are usage errors', async () => {
    // numbers are parsed with the flag, the same way in every command: --workers 0 is out of bounds
    // before the format is looked at
    expectFailure(
      await runProcpt(['gen', 'dyck', '--n', '1', '--workers', '0']),
      2,
      /--workers must be an integer in \[1, \d+\], got "0"/,
    );
    expectFailure(
      await runProcpt(['gen', 'dyck', '--n', '1', '--workers', '2']),
      2,
      /--workers is for --format bin/,
    );
    expectFailure(
      await runProcpt(['gen', 'dyck', '--length', '0x10', '--n', '1']),
      2,
      /dyck\.length must be an even integer .* got "0x10"/,
    );
    expectFailure(
      await runProcpt(['gen', 'dyck', '--__proto__', '3', '--n', '1']),
      2,
      /"--__proto__" is not a valid option name/,
    );
    expectFailure(
      await runProcpt(['gen', 'dyck', '--constructor', '3']),
      2,
      /gen dyck has no option --constructor/,
    );
    expectFailure(await runProcpt(['gen', 'dyck', '--k', '2', '--k', '3']), 2, /--k is given twice/);
    expectFailure(
      await runProcpt(['gen', 'dyck', '--n', '0x10']),
      2,
      /--n must be an integer ≥ 0, got "0x10"/,
    );
  });

  it('study run --size on an experiment list without the semantic experiment is a usage error', async () => {
    expectFailure(
      await runProcpt([
        'study',
        'run',
        'diagnostics,mixtures',
        '--preset',
        'tiny',
        '--size',
        '124M',
        '--dry-run',
      ]),
      2,
      /--size sets the semantic experiment's model size, but "diagnostics,mixtures" does not run it/,
    );
    // and a size that cannot fit is refused before any run starts (a dry run only notes it)
    const argv = [
      'study',
      'run',
      'semantic',
      '--preset',
      'tiny',
      '--size',
      '99_99_9999',
      '--out',
      join(root, 'st'),
    ];
    const dry = await runProcpt([...argv, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.err).toMatch(
      /^note: study run .*semantic.*: a training step needs about .* on this machine$/m,
    );
    const res = await timed(argv);
    expectFailure(res, 2, /study run .*semantic.*: a training step needs about .* GB/);
    expect(res.ms).toBeLessThan(10_000);
    expect(existsSync(join(root, 'st'))).toBe(false);
    expect(res.err).toMatch(/hint: choose a smaller --size/);
  });
});
