/**
 * Parameter kinds that can be exempted from weight decay:
 * - `bias`: every `*.bias` (attention, MLP and LayerNorm biases);
 * - `ln`: LayerNorm weights and biases (`ln_1`, `ln_2`, `ln_f`);
 * - `embed`: token/position embeddings and an untied `lm_head`.
 */
export type NoDecayKind = 'bias' | 'ln' | 'embed';

/** The kinds a parameter name belongs to (HF GPT-2 names; unknown names belong to none). */
export function noDecayKinds(name: string): NoDecayKind[] {
  const kinds: NoDecayKind[] = [];
  if (name.endsWith('.bias')) kinds.push('bias');
  if (/(^|\.)ln_(1|2|f)\.(weight|bias)$/.test(name)) kinds.push('ln');
  if (/(^|\.)(wte|wpe)\.weight$/.test(name) || name === 'lm_head.weight') kinds.push('embed');
  return kinds;
}

/**
 * Whether `name` gets weight decay when the kinds in `exclude` do not. The paper's choices:
 * procedural pretraining decays everything (`[]`); the HF Trainer used by the diagnostic harness
 * exempts `['bias', 'ln']`; the CodeParrot / DM-Math scripts exempt only biases (`['bias']`,
 * their `LayerNorm.weight` pattern misses GPT-2's `ln_*` names).
 */
export function decays(name: string, exclude: readonly NoDecayKind[]): boolean {
  return !noDecayKinds(name).some((k) => exclude.includes(k));
}
