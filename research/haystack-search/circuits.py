"""Does a warm-up model hold the retrieval circuit? A cheap check of saved `screen.py --save` models (issue 10).

The haystack task needs an induction-style circuit: a layer-1 head that looks at the previous token, and a
layer-2 head that finds the earlier position whose previous token matches the current one and copies it.
This measures both on the warm-up model itself, with its own embeddings, on rows made of a random segment
of its content tokens repeated twice (`r r`):

- prev: the largest mean attention, over layer-1 heads, from each position to the one before it;
- induction: the largest mean attention, over layer-2 heads, from each position t of the second copy to
  the position just after t's earlier occurrence (the token to copy);
- copy acc: how often the model predicts the second copy's next token (chance: 1 / content tokens).

The model is screen.py's, i.e. the repository's PyTorch GPT-2 (tools/torch-reference/gpt2.py).

Usage: $PYTHON circuits.py /tmp/hs/oracle11k.pt.s0 /tmp/scr/set64.s0 ...   (one JSON line each; PYTHON: a python3 with torch)
"""
import json, random, sys
import torch
from screen import BRACKETS, GPT, NH, NL, MAXLEN, V_H, haystack_batch, parse_warmup, upgrade_state_dict, warm_context, warm_vocab


def content_tokens(w):
    """Tokens the warm-up data uses as content: brackets for Dyck, values for haystack, 1..V-1 otherwise."""
    if w["type"] in BRACKETS:
        return list(range(2 * w["k"]))
    if w["type"] == "haystack":
        return list(range(1, 128))
    return list(range(1, w["V"]))


def attention_maps(m, x):
    """Per-layer attention probabilities [B, NH, T, T], recomputed from the blocks' own weights, and the
    model's logits from the same pass."""
    maps = []
    h = m.wte(x) + m.wpe(torch.arange(x.shape[1]))
    for b in m.h:
        maps.append(b.attention_probs(h))
        h = b(h)
    return maps, m.lm_head(m.ln_f(h))


def measure(path, rows=256, seed=0):
    saved = torch.load(path, map_location="cpu")
    w = parse_warmup(saved["warmup"])
    m = GPT(warm_vocab(w), warm_context(w), tied=w["tied"] == 1)
    m.load_state_dict(upgrade_state_dict(saved["model"]))
    m.eval()
    toks = content_tokens(w)
    half = min(warm_context(w) // 2, 30)
    rng = random.Random(seed)
    segs = [[rng.choice(toks) for _ in range(half)] for _ in range(rows)]
    x = torch.tensor([s + s for s in segs])
    with torch.no_grad():
        maps, logits = attention_maps(m, x)
    pred = logits.argmax(-1)
    T = 2 * half
    pos = torch.arange(1, T)
    prev = max(maps[0][:, h, pos, pos - 1].mean().item() for h in range(NH))
    second = torch.arange(half, T)            # position t in the second copy; its token first occurred at t - half
    induction = max(maps[NL - 1][:, h, second, second - half + 1].mean().item() for h in range(NH))
    copy_pos = torch.arange(half, T - 1)      # predicts x[t + 1] = x[t + 1 - half]
    copy_acc = (pred[:, copy_pos] == x[:, copy_pos + 1]).float().mean().item()
    out = {"model": path, "warmup": saved["warmup"], "task_acc": saved.get("task_acc"), "prev": round(prev, 3),
            "induction": round(induction, 3), "copy_acc": round(copy_acc, 3),
            "chance": round(1 / len(toks), 3), "segment": half}
    if w["type"] == "haystack":
        out.update(haystack_circuit(m, rows, seed))
    return out


def haystack_circuit(m, rows, seed):
    """On haystack rows (up to 15 pairs): layer-1 attention from each value to its key (the previous token),
    and layer-2 attention from the query to the answer value. The oracle's circuit shows in these, while
    its previous-token heads ignore the value-only `r r` rows above (they are gated on key tokens)."""
    g = torch.Generator(); g.manual_seed(seed)
    x = haystack_batch(rows, g, 15)
    with torch.no_grad():
        maps, _ = attention_maps(m, x)
    r = torch.arange(rows)
    qpos = (x >= MAXLEN + V_H // 2).long().argmax(1)
    keypos = (x == (x[r, qpos] - MAXLEN)[:, None]).long().argmax(1)
    npairs = qpos // 2
    val_to_key = []
    for h in range(NH):
        a = maps[0][:, h]
        per_row = [a[b, 1:2 * n:2, 0:2 * n - 1:2].diagonal().mean() for b, n in enumerate(npairs.tolist())]
        val_to_key.append(torch.stack(per_row).mean().item())
    query_to_answer = max(maps[NL - 1][r, h, qpos, keypos + 1].mean().item() for h in range(NH))
    return {"value_to_key": round(max(val_to_key), 3), "query_to_answer": round(query_to_answer, 3)}


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(json.dumps(measure(p)), flush=True)
