// What a Dyck model scores on closing brackets without tracking a stack: "close the most recent opening
// token" on the 640 fresh sequences closing-curve.mjs scores (k = 16, L = 128, p_open 0.5, seed 42 + 20,000).
// The paper-recipe warm-up's plateau (53.6–53.8%) is this rule's score (53.8%).
//   node research/paper-harness/stack-free-baseline.mjs
const { createGenerator } = await import(
  new URL('../../packages/procgen/dist/index.js', import.meta.url).href
);

const k = 16;
const gen = createGenerator({ type: 'dyck', k, length: 128, pOpen: 0.5, seed: 42 + 20_000 });
let closing = 0;
let lastOpenRule = 0;
for (let i = 0; i < 640; i++) {
  const tokens = gen.sample(i).tokens;
  for (let t = 1; t < tokens.length; t++) {
    const target = tokens[t];
    if (target < k || target >= 2 * k) continue;
    closing++;
    let j = t - 1;
    while (j >= 0 && tokens[j] >= k) j--;
    if (j >= 0 && tokens[j] + k === target) lastOpenRule++;
  }
}
console.log(
  `closing-bracket targets: ${closing}; "close the most recent opening token": ${((100 * lastOpenRule) / closing).toFixed(1)}%`,
);
