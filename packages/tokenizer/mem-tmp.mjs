import { Gpt2Tokenizer, readTextChunks, tokenizeToShard } from './dist/index.js';
let last = 0;
const sample = () => { const m = process.memoryUsage(); return `rss ${(m.rss/1e6).toFixed(0)} heapUsed ${(m.heapUsed/1e6).toFixed(0)} heapTotal ${(m.heapTotal/1e6).toFixed(0)} ext ${(m.external/1e6).toFixed(0)} ab ${(m.arrayBuffers/1e6).toFixed(0)}`; };
const mode = process.argv[2];
async function* docs() { yield readTextChunks('/tmp/mid.txt'); }
async function* chunksOnly() { for await (const c of readTextChunks('/tmp/mid.txt')) {} }
const t = performance.now();
if (mode === 'read') { for await (const c of readTextChunks('/tmp/mid.txt')) { if (performance.now() - last > 1000) { last = performance.now(); console.log(sample()); } } }
else if (mode === 'encode') { const tok = new Gpt2Tokenizer(); for await (const c of readTextChunks('/tmp/mid.txt')) { tok.encode(c); if (performance.now() - last > 1000) { last = performance.now(); console.log(sample()); } } }
else await tokenizeToShard({ tokenizer: new Gpt2Tokenizer(), documents: docs(), out: '/tmp/x.bin', onProgress: () => { if (performance.now() - last > 1000) { last = performance.now(); console.log(sample()); } } });
console.log('end', sample(), ((performance.now()-t)/1000).toFixed(1)+'s');
