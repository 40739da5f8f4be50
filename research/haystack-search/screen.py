"""Cheap CPU screen of warm-up recipes for the needle-in-a-haystack diagnostic (issue 10).

Adapted from an earlier independent PyTorch re-implementation of the paper's haystack protocol (a lab probe
kept outside this repository; its notes are at the end of research/notes/haystack-search.md). Adds: the paper's
exact transfer rules (`everything` vs `attn`, wpe copied only when the warm-up context >= 100 positions),
warm-up dropout / weight decay / grad clip / constant LR (paper §4.1), Dyck length curriculum, Set/Identity
warm-ups, closing-bracket accuracy. The model is the repository's one PyTorch GPT-2
(tools/torch-reference/gpt2.py). One JSON line per run.

Usage: $PYTHON screen.py --warmup dyck:k=4,L=64,steps=4000,lr=3e-3 --transfer attn \
           --budget 1500x250 --seeds 0,1,2      (warm-up "none" = no warm-up baseline; PYTHON: a python3 with torch)
"""
import argparse, json, math, os, random, sys, time
import torch, torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "torch-reference"))
from gpt2 import GPT as GPT2, masked_mean_ce, upgrade_state_dict  # noqa: E402

torch.set_num_threads(1)
DEV = torch.device("cpu")   # --device cuda: model and batches on the GPU (data is still drawn on the CPU)
D, NL, NH = int(os.environ.get("SCREEN_D", 16)), 2, 4   # SCREEN_D: width for capacity controls (paper: 16)
V_H, MAXLEN, T_H, NPOS_H = 256, 30, 63, 100
BRACKETS = ("dyck", "dyck_shuffle")   # bracket languages: whole-row LM loss, scored on closing brackets


def GPT(vocab, npos, tied, p=0.0):
    """The screen's 2_4_16 model (SCREEN_D wide): the repository's PyTorch GPT-2 (tools/torch-reference/gpt2.py)."""
    return GPT2(vocab, npos, n_layer=NL, n_head=NH, d=D, tied=tied, dropout=p)


# ---------------- haystack (paper §3.1) ----------------
def haystack_batch(B, g, nmax=MAXLEN):
    """nmax < 30 caps the number of pairs (the haystack warm-up's curriculum); keys still come from 0..29."""
    n = torch.randint(1, nmax + 1, (B,), generator=g)
    keys = torch.argsort(torch.rand(B, MAXLEN, generator=g), dim=1)
    vals = torch.randint(1, V_H // 2, (B, MAXLEN), generator=g)
    qi = (torch.rand(B, generator=g) * n).long()
    seq = torch.zeros(B, T_H, dtype=torch.long)
    j = torch.arange(MAXLEN).expand(B, -1)
    live = j < n[:, None]
    seq[:, 0:2 * MAXLEN:2] = torch.where(live, keys + V_H // 2, 0)
    seq[:, 1:2 * MAXLEN:2] = torch.where(live, vals, 0)
    pos = torch.arange(T_H).expand(B, -1)
    seq = torch.where(pos < 2 * n[:, None], seq, 0)
    r = torch.arange(B)
    seq[r, 2 * n] = keys[r, qi] + MAXLEN + V_H // 2
    seq[r, 2 * n + 1] = vals[r, qi]
    return seq.to(DEV)


def query_logits(model, seq):
    """Logits at each row's query position (exactly one per row), its column and the answer value."""
    inp = seq[:, :-1]
    col = (inp >= MAXLEN + V_H // 2).int().argmax(1)
    x = model.wte(inp) + model.wpe(torch.arange(inp.shape[1], device=inp.device))
    for b in model.h[:-1]:
        x = b(x)
    logits = model.lm_head(model.ln_f(model.h[-1].forward_at(x, col)))
    return logits, col, seq[torch.arange(seq.shape[0], device=seq.device), col + 1]


def haystack_loss(model, seq):
    """Masked CE + accuracy at the query position, computed only there."""
    logits, _, tgt = query_logits(model, seq)
    return F.cross_entropy(logits, tgt), (logits.argmax(-1) == tgt).float().mean()


def breakdown(model, seq):
    """Test accuracy by the number of pairs in the row, by how many pairs back the needle sits (1 = the last
    pair before the query) and by the queried key (0..29): tells a partial run (say 30%) that solves short
    haystacks, or recent needles, or some keys only. Returns (overall accuracy, the breakdown)."""
    with torch.no_grad():
        logits, col, tgt = query_logits(model, seq)
        right = (logits.argmax(-1) == tgt).float()
        query = seq[torch.arange(seq.shape[0], device=seq.device), col]
        n = col // 2
        qi = (seq[:, 0:2 * MAXLEN:2] == (query - MAXLEN)[:, None]).int().argmax(1)   # the needle's pair index
        back = n - qi
        key = query - MAXLEN - V_H // 2
    out = {"by_key": [round(right[key == k].mean().item(), 2) if (key == k).any() else None for k in range(MAXLEN)]}
    for name, v in (("by_pairs", n), ("by_needle_back", back)):
        out[name] = {f"{lo}-{lo + 4}": round(right[(v >= lo) & (v <= lo + 4)].mean().item(), 3)
                     for lo in range(1, MAXLEN + 1, 5) if ((v >= lo) & (v <= lo + 4)).any()}
    return right.mean().item(), out


# ---------------- warm-up data ----------------
def dyck_seq(k, length, rng, p_open):
    seq, st, rem = [], [], length
    while rem > 0:
        if not st:
            b = rng.randrange(k); seq.append(b); st.append(b); rem -= 1
        elif rem <= len(st):
            while st and rem > 0:
                seq.append(st.pop() + k); rem -= 1
            break
        elif rng.random() < p_open and len(st) < rem - 1:
            b = rng.randrange(k); seq.append(b); st.append(b); rem -= 1
        else:
            seq.append(st.pop() + k); rem -= 1
    return seq


def dyck_shuffle_seq(k, length, rng, p_open, max_depth=16):
    """Paper §2.9: per-type open counts, crossing allowed, no forced closure at the end."""
    seq, open_count = [], [0] * k
    while len(seq) < length:
        depth = sum(open_count)
        if depth == 0 or (depth < max_depth and rng.random() < p_open):
            b = rng.randrange(k); open_count[b] += 1; seq.append(b)
        else:
            b = rng.choice([i for i in range(k) if open_count[i] > 0]); open_count[b] -= 1; seq.append(b + k)
    return seq


def recall_row(w, rng, npairs):
    """Multi-query associative recall (not one of the paper's types): `npairs` pairs k v with distinct keys
    (tokens 0..K-1) and values (K..K+V-1), then `q` queries: a stored key followed by its value. Scored at
    each query. Unlike haystack, the query is the key token itself and the vocabulary is abstract."""
    K, Vv, q, L = w["K"], w["V"], w["q"], w["L"]
    keys = rng.sample(range(K), npairs)
    vals = [K + rng.randrange(Vv) for _ in keys]
    row, mask = [], []
    for k, v in zip(keys, vals):
        row += [k, v]; mask += [0, 0]
    for _ in range(q):
        j = rng.randrange(npairs)
        row += [keys[j], vals[j]]; mask += [1, 0]
    pad = K + Vv
    total = 2 * L + 2 * q
    return row + [pad] * (total - len(row)), (mask + [0] * (total - len(mask)))[:-1]


def warm_batch(w, B, rng, length):
    """tokens [B, T] and loss mask over targets [B, T-1]."""
    if w["type"] == "recall":      # `length` = most pairs per row (the curriculum grows it)
        rows = [recall_row(w, rng, rng.randint(1, length)) for _ in range(B)]
        return torch.tensor([r for r, _ in rows]), torch.tensor([m for _, m in rows], dtype=torch.float)
    if w["type"] in BRACKETS:
        make = dyck_seq if w["type"] == "dyck" else dyck_shuffle_seq
        x = torch.tensor([make(w["k"], length, rng, w["p"]) for _ in range(B)])
        return x, torch.ones(B, length - 1)
    if w["type"] == "haystack":    # the task itself ("oracle" warm-up), `length` = most pairs per row
        g = torch.Generator(); g.manual_seed(rng.getrandbits(62))
        x = haystack_batch(B, g, length).cpu()
        return x, (x[:, :-1] >= MAXLEN + V_H // 2).float()
    V, L = w["V"], length          # sequence transformations: x SEP f(x), pad to 2L+1 (paper §2.0)
    sep, pad = V, V + 1
    rows, masks = [], []
    for _ in range(B):
        xs = [rng.randrange(1, V) for _ in range(L)]
        head = xs + [sep]
        if w["type"] == "set":
            seen, out = set(), []
            for t in xs:
                if t not in seen:
                    seen.add(t); out.append(t)
        elif w["type"] == "sort":
            out = sorted(xs)
        elif w["type"] == "delete":    # x SEP d SEP (x without the first d), paper §2.6
            # the paper draws d uniformly (in x for ~15% of rows at V=100, L=16); `present` = share of rows whose
            # d is drawn from x instead, so the model must find d in x and skip it
            present = w["present"] > 0 and rng.random() < w["present"]    # no draw at 0: the paper's rows unchanged
            d = rng.choice(xs) if present else rng.randrange(1, V)
            out = list(xs)
            if d in out:
                out.remove(d)
            head = xs + [sep, d, sep]
        else:
            out = list(xs)
        row = head + out
        total = len(head) + L
        m = [0] * (len(head) - 1) + [1] * len(out) + [0] * (total - 1 - (len(head) - 1) - len(out))
        row = row + [pad] * (total - len(row))
        if w["ctx"]:    # the row at a random offset in a `ctx`-token context: every position sees the task
            o = rng.randrange(w["ctx"] - total + 1)
            row = [pad] * o + row + [pad] * (w["ctx"] - o - total)
            m = [0] * o + m + [0] * (w["ctx"] - o - total)
        rows.append(row); masks.append(m)
    return torch.tensor(rows), torch.tensor(masks, dtype=torch.float)


def warm_context(w):
    """Positions of the warm-up model: Dyck rows are L tokens, haystack rows get the task model's 100, x SEP f(x) rows 2L+1."""
    if w["type"] in BRACKETS:
        return w["L"]
    if w["type"] == "recall":
        return 2 * w["L"] + 2 * w["q"]
    if w["ctx"]:
        return w["ctx"]
    return NPOS_H if w["type"] == "haystack" else 2 * w["L"] + (3 if w["type"] == "delete" else 1)


def warm_vocab(w):
    if w["type"] == "recall":
        return w["K"] + w["V"] + 1
    return 2 * w["k"] + 1 if w["type"] in BRACKETS else V_H if w["type"] == "haystack" else w["V"] + 2


def task_accuracy(m, w, length, n=64):
    """Dyck: accuracy on positions whose target is a closing bracket; others: accuracy on scored outputs."""
    x, mask = warm_batch(w, n, random.Random(999), length)
    x, mask = x.to(DEV), mask.to(DEV)
    m.eval()
    with torch.no_grad():
        pred = m(x[:, :-1]).argmax(-1)
    m.train()
    tgt = x[:, 1:]
    if w["type"] in BRACKETS:
        mask = (tgt >= w["k"]) & (tgt < 2 * w["k"])
    mask = mask.bool()
    return ((pred == tgt) & mask).sum().item() / mask.sum().item()


def pretrain(w, seed):
    torch.manual_seed(seed)
    rng = random.Random(seed)
    m = GPT(warm_vocab(w), warm_context(w), tied=w["tied"] == 1, p=w["drop"]).to(DEV)
    opt = torch.optim.AdamW(m.parameters(), lr=w["lr"], weight_decay=w["wd"])
    length = (2 if w["type"] in BRACKETS else 1) if w["cur"] else w["L"]
    curve = []
    for s in range(w["steps"]):
        x, mask = warm_batch(w, w["B"], rng, length)
        x, mask = x.to(DEV), mask.to(DEV)
        logits = m(x[:, :-1])
        loss = masked_mean_ce(logits, x[:, 1:], mask)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
        if w["cur"] and (s + 1) % 100 == 0 and length < w["L"]:
            probe = 256 if w["type"] in ("haystack", "recall") else 32
            if task_accuracy(m, w, length, probe) >= w["thr"]:   # paper's use_curriculum: grow at 0.99 accuracy
                length = min(w["L"], length + w["cur"])
                print(json.dumps({"step": s + 1, "length": length, "loss": round(loss.item(), 3)}), file=sys.stderr, flush=True)
        if (s + 1) % max(1, w["steps"] // 5) == 0:
            curve.append([s + 1, length, round(loss.item(), 3)])
    return m, loss.item(), curve, length


def transfer(src, dst, mode, embeds):
    """Paper's downstream/utils.py rules. everything: blocks + ln_f; wte/lm_head rows = mean warm-up wte row
    (embeds=average) or left random (embeds=random); wpe copied only if warm-up context >= target's 100.
    attn: only attn.c_attn / attn.c_proj; embeddings, LNs, MLPs stay at their fresh init. attn+wpe: attn and
    the warm-up's position table."""
    sd = src.state_dict()
    with torch.no_grad():
        for name, p in dst.named_parameters():
            blockpart = name.startswith("h.") and (mode == "everything" or ".attn." in name)
            if blockpart or (mode == "everything" and name.startswith("ln_f")):
                p.copy_(sd[name])
        long_enough = sd["wpe.weight"].shape[0] >= dst.wpe.weight.shape[0]
        if mode == "attn+wpe" and not long_enough:    # not a paper option: attention plus the position table
            sys.exit(f"attn+wpe needs a warm-up context >= {dst.wpe.weight.shape[0]} (set ctx=)")
        if long_enough and mode in ("everything", "attn+wpe"):
            dst.wpe.weight.copy_(sd["wpe.weight"][: dst.wpe.weight.shape[0]])
        if mode == "everything":
            if embeds == "average":
                mean = sd["wte.weight"].mean(0)
                dst.wte.weight.copy_(mean.expand_as(dst.wte.weight))
                dst.lm_head.weight.copy_(mean.expand_as(dst.lm_head.weight))
            elif embeds == "retain":   # the paper's `retain` strategy: needs the same vocabulary
                dst.wte.weight.copy_(sd["wte.weight"])
                dst.lm_head.weight.copy_(sd["lm_head.weight"])


SWAP_PARTS = {"wte", "wpe", "lm_head", "mlp"}    # the parts attention-only transfer leaves at their fresh init


def finetune(init, seed, steps, batch, mode, embeds, warmup=500, data_seed=None, swap=None, align=False):
    """`seed` fixes the init of what the transfer leaves fresh and the test set; `data_seed` (default: `seed`)
    the training stream; `swap` = {part: seed} takes a part's init (wte, wpe, lm_head, mlp) from another seed."""
    torch.manual_seed(seed)
    g = torch.Generator(); g.manual_seed(10_000 + (seed if data_seed is None else data_seed))
    gt = torch.Generator(); gt.manual_seed(seed)
    test = haystack_batch(2000, gt)
    m = GPT(V_H, NPOS_H, tied=False).to(DEV)
    donors = {}                                  # one fresh model per other seed named in `swap`
    for other in set((swap or {}).values()):
        torch.manual_seed(other)
        donors[other] = GPT(V_H, NPOS_H, tied=False).to(DEV).state_dict()
    with torch.no_grad():
        for part, other in (swap or {}).items():    # this part's fresh init from another seed's model
            for name, t in m.state_dict().items():
                if name.split(".")[0] == part or (part == "mlp" and ".mlp." in name):
                    t.copy_(donors[other][name])
    if init is not None:
        transfer(init, m, mode, embeds)
    elif embeds == "average":      # control: no warm-up, but the paper's averaged (identical) embedding rows
        with torch.no_grad():
            mean = m.wte.weight.mean(0)
            m.wte.weight.copy_(mean.expand_as(m.wte.weight))
            m.lm_head.weight.copy_(mean.expand_as(m.lm_head.weight))
    if align:   # diagnostic: each query token starts with its key token's embedding (a different token id)
        with torch.no_grad():
            m.wte.weight[MAXLEN + V_H // 2: 2 * MAXLEN + V_H // 2] = m.wte.weight[V_H // 2: V_H // 2 + MAXLEN]
    opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.001)
    warm = min(warmup, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else
                                              0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    best = 0.0
    for s in range(steps):
        loss, _ = haystack_loss(m, haystack_batch(batch, g))
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
        if (s + 1) % max(1, steps // 4) == 0:
            with torch.no_grad():
                acc = haystack_loss(m, test)[1].item()
                best = max(best, acc)
                print(f"finetune seed {seed}: step {s + 1}/{steps} haystack {acc:.3f}", file=sys.stderr, flush=True)
    final, parts = breakdown(m, test)    # one pass over the test set: the final accuracy and its breakdown
    return final, best, parts


def parse_warmup(text):
    if text == "none":
        return None
    typ, _, rest = text.partition(":")
    w = {"type": typ, "k": 16, "L": 128 if typ in BRACKETS else 16, "V": 100, "p": 0.5, "steps": 2000, "B": 64,
         "lr": 5e-4, "wd": 0.1, "drop": 0.1, "cur": 0, "thr": 0.99, "tied": 1, "present": 0.0, "ctx": 0}
    if typ == "haystack":
        w.update(L=MAXLEN, tied=0)
    if typ == "recall":
        w.update(L=30, K=64, V=64, q=8)
    for kv in filter(None, rest.split(",")):
        key, val = kv.split("=")
        w[key] = float(val) if key in ("p", "lr", "wd", "drop", "thr", "present") else int(val)
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--warmup", default="none")
    ap.add_argument("--transfer", default="attn", help="comma list of: attn, everything, attn+wpe")
    ap.add_argument("--embeds", default="average", help="comma list of: average, random, retain (`everything` only)")
    ap.add_argument("--budget", default="1500x250")
    ap.add_argument("--control-embeds", default="random", choices=["random", "average"],
                    help="with --warmup none: average = every wte/lm_head row set to the mean row (the paper's "
                         "transfer init without any warm-up)")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--save", help="save the warm-up model to this path (seed appended)")
    ap.add_argument("--load", help="load the warm-up model from this path (seed appended) instead of training it")
    ap.add_argument("--warmup-only", action="store_true", help="train (and --save) the warm-up, skip fine-tuning")
    ap.add_argument("--ft-seed", type=int, help="fine-tune with this seed instead of the warm-up's (data, test "
                                                "set and the init outside the transfer): separates the two")
    ap.add_argument("--ft-data-seed", type=int, help="fine-tuning data stream from this seed (default: the "
                                                     "fine-tuning seed): separates init from data order")
    ap.add_argument("--ft-align", action="store_true", help="diagnostic, not the paper's protocol: start each "
                    "query token's embedding equal to its key token's (they are different token ids)")
    ap.add_argument("--ft-swap", default="", help="PART=SEED,...: these parts' fresh init (wte, wpe, lm_head, "
                                                  "mlp) from another seed: which part's init decides")
    a = ap.parse_args()
    swap = {p: int(v) for p, v in (kv.split("=") for kv in filter(None, a.ft_swap.split(",")))}
    if set(swap) - SWAP_PARTS:
        sys.exit(f"--ft-swap: unknown part(s) {sorted(set(swap) - SWAP_PARTS)}; use {sorted(SWAP_PARTS)}")
    global DEV
    DEV = torch.device(a.device)
    w = parse_warmup(a.warmup)
    steps, batch = map(int, a.budget.split("x"))
    for seed in map(int, a.seeds.split(",")):
        base = {"warmup": a.warmup, "budget": a.budget, "seed": seed}
        init = None
        if w and a.load:
            init = GPT(warm_vocab(w), warm_context(w), tied=w["tied"] == 1).to(DEV)
            saved = torch.load(f"{a.load}.s{seed}", map_location=DEV)
            init.load_state_dict(upgrade_state_dict(saved["model"]))
            base.update({k: v for k, v in saved.items() if k not in ("model", "budget")}, loaded=a.load)
        elif w:
            t0 = time.time(); init, l, curve, reached = pretrain(w, seed)
            base.update(warm_loss=round(l, 4), task_acc=round(task_accuracy(init, w, w["L"]), 4),
                        reached_len=reached, curve=curve, warm_s=round(time.time() - t0, 1))
            if a.save:
                torch.save(dict(base, model=init.state_dict()), f"{a.save}.s{seed}")
        if a.warmup_only:
            print(json.dumps(dict(base, transfer="none")), flush=True)
            continue
        runs = [(m, e) for m in (a.transfer.split(",") if w else ["-"])
                for e in (a.embeds.split(",") if m == "everything" else ["-"])]
        if not w and a.control_embeds == "average":
            runs = [("-", "average")]
        ft_seed = seed if a.ft_seed is None else a.ft_seed
        for mode, embeds in runs:
            rec = dict(base, transfer=mode, embeds=embeds, device=a.device)
            if ft_seed != seed:
                rec["ft_seed"] = ft_seed
            if a.ft_data_seed is not None:
                rec["ft_data_seed"] = a.ft_data_seed
            if swap:
                rec["ft_swap"] = a.ft_swap
            if a.ft_align:
                rec["ft_align"] = True
            t0 = time.time()
            final, best, parts = finetune(init, ft_seed, steps, batch, mode, embeds, data_seed=a.ft_data_seed, swap=swap,
                                         align=a.ft_align)
            rec.update(acc=round(final, 4), best=round(best, 4), ft_s=round(time.time() - t0, 1), **parts)
            print(json.dumps(rec), flush=True)


if __name__ == "__main__":
    main()
