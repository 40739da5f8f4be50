"""PyTorch CPU peer of `procpt bench train`: the same GPT-2 (pre-LN, gelu_new, learned positions,
tied head, no dropout), AdamW + global-norm clipping, same shapes and synthetic data.
Usage: /usr/bin/python3 torch_bench.py SIZE VOCAB CONTEXT BATCH STEPS WARMUP THREADS  -> one JSON line
       /usr/bin/python3 torch_bench.py --sgemm N THREADS  -> one JSON line: best FLOP/s of torch.mm, N x N fp32
"""
import json
import math
import os
import statistics
import sys
import time

SGEMM = sys.argv[1] == "--sgemm"
THREADS = int(sys.argv[3] if SGEMM else sys.argv[7])
# torch.set_num_threads does not reach a system OpenBLAS (Debian's torch is built with BLAS=generic): its
# pthread pool sizes itself from the environment when torch loads it. Without this, "1 thread" runs its
# matmuls on every core (measured: torch.mm 2048^2 at 201 GFLOP/s "1 thread" vs 101 with this set).
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(THREADS)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

if SGEMM:
    # What PyTorch's BLAS (OpenBLAS here) reaches on one dense matmul: a practical reference next to the
    # FMA peak that MFU is measured against.
    N = int(sys.argv[2])
    torch.set_num_threads(THREADS)
    torch.manual_seed(0)
    a, b = torch.randn(N, N), torch.randn(N, N)
    torch.mm(a, b)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    maps = open("/proc/self/maps").read() if os.path.exists("/proc/self/maps") else ""
    blas = "openblas" if "openblas" in maps.lower() else "unknown"
    print(json.dumps({"peer": "pytorch-sgemm", "torch": torch.__version__, "blas": blas, "threads": THREADS,
                      "n": N, "flops": round(2 * N ** 3 / best)}))
    sys.exit(0)

size, V, T, B, STEPS, WARMUP = sys.argv[1], *map(int, sys.argv[2:7])
L, H, D = map(int, size.split("_"))
torch.set_num_threads(THREADS)
torch.manual_seed(0)


def normal(*shape, std=0.02):
    return (torch.randn(*shape) * std).requires_grad_()


def const(n, v):
    return torch.full((n,), float(v)).requires_grad_()


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
opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)


def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def loss_fn(tokens):
    x = wte[tokens[:, :-1]] + wpe
    for b in blocks:
        h = F.layer_norm(x, (D,), b["ln1w"], b["ln1b"], 1e-5)
        q, k, v = (h @ b["qkv"] + b["qkvb"]).split(D, dim=-1)
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in (q, k, v))
        att = ((q @ k.transpose(-1, -2)) / math.sqrt(D // H) + mask).softmax(-1)
        x = x + (att @ v).transpose(1, 2).reshape(B, T, D) @ b["proj"] + b["projb"]
        h = F.layer_norm(x, (D,), b["ln2w"], b["ln2b"], 1e-5)
        x = x + gelu(h @ b["fc"] + b["fcb"]) @ b["out"] + b["outb"]
    x = F.layer_norm(x, (D,), lnfw, lnfb, 1e-5)
    return F.cross_entropy((x @ wte.t()).view(-1, V), tokens[:, 1:].reshape(-1))


def batch(i):
    start = torch.tensor([(((i * B + r + 1) * 2654435761) % 2 ** 32) % V for r in range(B)])
    rows = [start]
    for _ in range(T):
        rows.append((7 * rows[-1] + 3) % V)
    return torch.stack(rows, 1)


times = []
for s in range(WARMUP + STEPS):
    tokens = batch(s)
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(tokens)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    loss.item()
    if s >= WARMUP:
        times.append((time.perf_counter() - t0) * 1000)
ms = statistics.median(times)
print(json.dumps({"peer": "pytorch-cpu", "torch": torch.__version__, "threads": THREADS,
                  "msPerStep": round(ms, 1), "tokensPerSecond": round(B * T * 1000 / ms), "loss": float(loss)}))
