"""PyTorch peer of gpu-bench.mjs `time` on the same GPU in the same call: the same GPT-2 (pre-LN, gelu_new,
learned positions, tied head, no dropout, causal softmax attention written out as in tools/haystack-search's
screen.py), AdamW + clip_grad_norm_(1.0), fp32 eager (PyTorch's defaults: no TF32 for matmuls), a loss.item()
sync per step like the Node loop. T = positions per sequence (sequences of T + 1 tokens), tokens/s = B*T.

Usage: python3 torch_peer.py NAME SIZE T B V BUDGET_SECONDS  -> one JSON line (also appended to $OUT/results.jsonl)
Falls back to the CPU (labelled) where CUDA is missing, so the dry run on a CPU machine exercises it.
"""
import json
import math
import os
import statistics
import sys
import time
from datetime import datetime, timezone

import torch
import torch.nn.functional as F

name, size, T, B, V, BUDGET = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6]), float(sys.argv[6])
L, H, D = map(int, size.split("_"))
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)


def normal(*shape, std=0.02):
    return (torch.randn(*shape, device=dev) * std).requires_grad_()


def const(n, v):
    return torch.full((n,), float(v), device=dev).requires_grad_()


wte, wpe = normal(V, D), normal(T, D, std=0.01)
blocks = [
    dict(
        ln1w=const(D, 1), ln1b=const(D, 0), qkv=normal(D, 3 * D), qkvb=const(3 * D, 0),
        proj=normal(D, D, std=0.02 / math.sqrt(2 * L)), projb=const(D, 0),
        ln2w=const(D, 1), ln2b=const(D, 0), fc=normal(D, 4 * D), fcb=const(4 * D, 0),
        out=normal(4 * D, D, std=0.02 / math.sqrt(2 * L)), outb=const(D, 0),
    )
    for _ in range(L)
]
lnfw, lnfb = const(D, 1), const(D, 0)
params = [wte, wpe, lnfw, lnfb] + [p for b in blocks for p in b.values()]
opt = torch.optim.AdamW(params, lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
causal = ~torch.tril(torch.ones(T, T, dtype=torch.bool, device=dev))


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def loss_fn(tokens):
    x = wte[tokens[:, :-1]] + wpe
    for b in blocks:
        h = F.layer_norm(x, (D,), b["ln1w"], b["ln1b"], 1e-5)
        q, k, v = (h @ b["qkv"] + b["qkvb"]).split(D, dim=-1)
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))
        a = ((q @ k.transpose(-1, -2)) / math.sqrt(D // H)).masked_fill(causal, float("-inf")).softmax(-1)
        x = x + (a @ v).transpose(1, 2).reshape(B, T, D) @ b["proj"] + b["projb"]
        h = F.layer_norm(x, (D,), b["ln2w"], b["ln2b"], 1e-5)
        x = x + gelu(h @ b["fc"] + b["fcb"]) @ b["out"] + b["outb"]
    x = F.layer_norm(x, (D,), lnfw, lnfb, 1e-5)
    return F.cross_entropy((x @ wte.t()).view(-1, V), tokens[:, 1:].reshape(-1))


batches = [torch.randint(0, V, (B, T + 1), generator=torch.Generator().manual_seed(s)).to(dev) for s in (11, 12)]


def step(i):
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(batches[i % 2])
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    return loss.item()


def record(line):
    if os.environ.get("OUT"):
        with open(os.path.join(os.environ["OUT"], "results.jsonl"), "a") as f:
            f.write(json.dumps(line) + "\n")


try:
    t0 = time.perf_counter()
    step(0)
    first_ms = (time.perf_counter() - t0) * 1000
    step(1)
    times, loss, start = [], float("nan"), time.perf_counter()
    while len(times) < 500 and (len(times) < 3 or time.perf_counter() - start < BUDGET):
        t = time.perf_counter()
        loss = step(len(times))
        times.append((time.perf_counter() - t) * 1000)
except RuntimeError as error:  # torch.cuda.OutOfMemoryError is one
    message = str(error).split("\n")[0]
    print(f"torch {name}: FAILED {message}")
    record({"kind": "torch", "shape": name, "size": size, "error": message, "torch": torch.__version__,
            "at": datetime.now(timezone.utc).isoformat()})
    sys.exit(1)
ms = statistics.mean(times)
line = {
    "kind": "torch", "shape": name, "size": size, "T": T, "B": B, "V": V, "torch": torch.__version__,
    "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu (no CUDA: a dry run)",
    "precision": f"fp32 eager (tf32 matmul {torch.backends.cuda.matmul.allow_tf32}, "
                 f"float32_matmul_precision {torch.get_float32_matmul_precision()})",
    "steps": len(times), "msPerStep": ms, "medianMs": statistics.median(times), "firstStepMs": first_ms,
    "tokensPerSecond": B * T * 1000 / ms, "loss": loss,
    "peakMemoryGB": torch.cuda.max_memory_allocated() / 1e9 if dev.type == "cuda" else None,
    "at": datetime.now(timezone.utc).isoformat(),
}
print(f"torch {name} {size} T={T} B={B} V={V} on {line['device']}: {line['tokensPerSecond'] / 1e6:.4f} M tokens/s, "
      f"{ms:.1f} ms/step over {len(times)} steps (first step {first_ms / 1000:.1f} s), loss {loss:.4f}")
record(line)
