// Benchmark: reading + tokenizing + packing C4-format gzip JSON Lines into a GPT-2 token shard
// (procpt's streaming pipeline, on one thread and on every core) against the plain gpt-tokenizer encode of the same
// texts held in memory (the named peer, measured in the same run). Also reports the pipeline's
// peak memory on an input twice as large, measured in a fresh child process.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encode, setMergeCacheSize } from 'gpt-tokenizer/encoding/r50k_base';
import { Gpt2Tokenizer } from '@procpt/tokenizer';
import { embeddedDocuments, tokenizeCorpus } from '../dist/index.js';

const self = fileURLToPath(import.meta.url);
const threads = availableParallelism();

if (process.argv[2] === '--child') {
  // child: run the pipeline once and print its peak RSS
  const [input, out] = process.argv.slice(3);
  const r = await tokenizeCorpus({ input, out, format: 'c4', tokenizer: new Gpt2Tokenizer(), threads });
  console.log(JSON.stringify({ tokens: r.tokens, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), 'procpt-corpora-bench-'));
try {
  const texts = [];
  for await (const d of embeddedDocuments('sotu')) texts.push(d.text);
  const line = (text, i) =>
    JSON.stringify({ text, timestamp: '2019-04-25T12:57:54Z', url: `https://example.com/${i}` });
  const jsonl = `${texts.map(line).join('\n')}\n`;
  const input = join(dir, 'c4-train.00000-of-01024.json.gz');
  await writeFile(input, gzipSync(jsonl));
  const big = join(dir, 'c4-train.00001-of-01024.json.gz');
  await writeFile(big, gzipSync(jsonl.repeat(2)));
  const mb = Buffer.byteLength(texts.join('')) / 1e6;

  // peer: plain gpt-tokenizer, texts already in memory (the tokenizer's recommended cache size)
  setMergeCacheSize(10_000);
  const opts = { disallowedSpecial: new Set() };
  const peer = () => {
    let n = 0;
    for (const t of texts) n += encode(t, opts).length;
    return n;
  };
  // procpt: gunzip + JSON parse + encode + shard write, one thread
  const ours = async (n) =>
    (
      await tokenizeCorpus({
        input,
        out: join(dir, 'out.bin'),
        format: 'c4',
        tokenizer: new Gpt2Tokenizer(),
        threads: n,
      })
    ).tokens;
  // alternate the two, best of 5 each: the machine is shared, so single timings are noisy
  let peerS = Number.POSITIVE_INFINITY;
  let ourS = Number.POSITIVE_INFINITY;
  let ourParallelS = Number.POSITIVE_INFINITY;
  let peerTokens = 0;
  let ourTokens = 0;
  for (let rep = 0; rep < 5; rep++) {
    let t0 = performance.now();
    peerTokens = peer();
    peerS = Math.min(peerS, (performance.now() - t0) / 1000);
    t0 = performance.now();
    ourTokens = await ours(1);
    ourS = Math.min(ourS, (performance.now() - t0) / 1000);
    t0 = performance.now();
    if ((await ours(threads)) !== ourTokens) throw new Error('thread count changed the output');
    ourParallelS = Math.min(ourParallelS, (performance.now() - t0) / 1000);
  }
  if (ourTokens !== peerTokens) throw new Error(`token counts differ: ${ourTokens} vs ${peerTokens}`);
  const r = { tokens: ourTokens };

  const child = JSON.parse(
    execFileSync(process.execPath, [self, '--child', big, join(dir, 'big.bin')], { encoding: 'utf8' }),
  );

  const ratio = peerS / ourS;
  console.log(
    `corpora bench: ${texts.length} SOTU documents as C4 gzip JSONL, ${mb.toFixed(1)} MB text, ${peerTokens.toLocaleString('en-US')} GPT-2 tokens`,
  );
  console.log('  (best of 5 alternating runs each)');
  console.log(
    `  gpt-tokenizer encode (peer, in memory): ${(mb / peerS).toFixed(1)} MB/s, ${(peerTokens / peerS / 1e6).toFixed(2)} M tok/s`,
  );
  console.log(
    `  procpt read+tokenize+pack (1 thread):   ${(mb / ourS).toFixed(1)} MB/s, ${(r.tokens / ourS / 1e6).toFixed(2)} M tok/s`,
  );
  console.log(
    `  procpt read+tokenize+pack (${threads} threads): ${(mb / ourParallelS).toFixed(1)} MB/s, ${(r.tokens / ourParallelS / 1e6).toFixed(2)} M tok/s`,
  );
  console.log(
    `  ratio procpt/peer: 1 thread ${ratio.toFixed(2)}x (loss ${((1 - ratio) * 100).toFixed(1)}%, target < 20%), ${threads} threads ${(peerS / ourParallelS).toFixed(2)}x`,
  );
  console.log(
    `  peak RSS on a ${(2 * mb).toFixed(1)} MB input (fresh process): ${child.maxRssMB.toFixed(0)} MB (target < 500 MB)`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
