"""Table of screen results: recipe x transfer x budget -> warm-up task accuracy, haystack mean +- 95% t-interval."""
import json, math, sys
from collections import defaultdict
T95 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78}
groups = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "acc" not in r:      # a run stopped before its end: its `progress` is in the file, not in the table
        continue
    t = r.get("transfer", "-")
    e = r.get("embeds", "-")
    if e not in ("-", "average") or (t == "-" and e == "average"):   # non-default embedding rows
        t = f"{t} ({e} embeddings)"
    w = r["warmup"] if r.get("d", 16) == 16 else f'{r["warmup"]} (d = {r["d"]})'
    split = [f"{k.replace('_', ' ')} {r[k]}" for k in ("ft_seed", "ft_data_seed", "ft_swap") if k in r]
    if split:   # a seed-split run: its own row
        w = f'{w} (warm-up seed {r["seed"]}; {", ".join(split)})'
    groups[(w, t, r["budget"])].append(r)
print("| warm-up | transfer | budget | seeds | warm-up task acc. | haystack acc. % (mean ± 95% CI) | warm-up s | fine-tune s |")
print("|---|---|---|---|---|---|---|---|")
for (w, t, b), rs in groups.items():
    accs = [100 * r["acc"] for r in rs]
    m = sum(accs) / len(accs)
    if len(accs) > 1:
        sd = math.sqrt(sum((a - m) ** 2 for a in accs) / (len(accs) - 1))
        ci = f"{m:.1f} ± {T95[len(accs) - 1] * sd / math.sqrt(len(accs)):.1f}"
    else:
        ci = f"{m:.1f} (1 seed)"
    ta = [r["task_acc"] for r in rs if "task_acc" in r]
    tas = " / ".join(f"{100 * a:.1f}%" for a in ta) if ta else "—"
    ws = [r["warm_s"] for r in rs if "warm_s" in r]
    print(f"| `{w}` | {t} | {b} | {len(rs)} | {tas} | {ci} | {round(sum(ws) / len(ws)) if ws else '—'} | {round(sum(r['ft_s'] for r in rs) / len(rs))} |")
