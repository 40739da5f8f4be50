"""Table of screen results: recipe x transfer x budget -> warm-up task accuracy, haystack mean +- 95% t-interval,
and how many seeds crossed (>= 90%): the runs are bimodal, so the mean alone hides whether a recipe works reliably."""
import json, math, sys
from collections import defaultdict
# two-sided 95% Student t quantiles by degrees of freedom; 1.96 beyond 30
T95 = dict(enumerate([12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
                      2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
                      2.052, 2.048, 2.045, 2.042], start=1))
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
    split = [f"{k.replace('_', ' ')} {r[k]}" for k in ("ft_seed", "ft_data_seed", "ft_swap", "ft_align") if k in r]
    if split:   # a seed-split run: its own row
        w = f'{w} (warm-up seed {r["seed"]}; {", ".join(split)})'
    groups[(w, t, r["budget"])].append(r)
print("| warm-up | transfer | budget | seeds | warm-up task acc. | haystack acc. % (mean ± 95% CI) | seeds ≥ 90% | warm-up s | fine-tune s |")
print("|---|---|---|---|---|---|---|---|---|")
for (w, t, b), rs in groups.items():
    accs = [100 * r["acc"] for r in rs]
    m = sum(accs) / len(accs)
    if len(accs) > 1:
        sd = math.sqrt(sum((a - m) ** 2 for a in accs) / (len(accs) - 1))
        ci = f"{m:.1f} ± {T95.get(len(accs) - 1, 1.96) * sd / math.sqrt(len(accs)):.1f}"
    else:
        ci = f"{m:.1f} (1 seed)"
    ta = [r["task_acc"] for r in rs if "task_acc" in r]
    if len(ta) > 4:     # many seeds: the range, not every value
        tas = f"{100 * min(ta):.1f}–{100 * max(ta):.1f}%"
    else:
        tas = " / ".join(f"{100 * a:.1f}%" for a in ta) if ta else "—"
    crossed = f"{sum(a >= 90 for a in accs)}/{len(accs)}"
    ws = [r["warm_s"] for r in rs if "warm_s" in r]
    print(f"| `{w}` | {t} | {b} | {len(rs)} | {tas} | {ci} | {crossed} | {round(sum(ws) / len(ws)) if ws else '—'} | {round(sum(r['ft_s'] for r in rs) / len(rs))} |")
