"""PyTorch CPU peer of `procpt bench train`: the same GPT-2 (tools/torch-reference/gpt2.py: pre-LN, gelu_new,
learned positions, tied head, no dropout; residual projections N(0, 0.02/sqrt(2L)), positions N(0, 0.01)),
AdamW + global-norm clipping, same shapes and synthetic data.
Usage: $PYTHON torch_bench.py SIZE VOCAB CONTEXT BATCH STEPS WARMUP THREADS  -> one JSON line
       $PYTHON torch_bench.py --sgemm N THREADS  -> one JSON line: best FLOP/s of torch.mm, N x N fp32
(PYTHON: a python3 with torch.) Both run with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and the BLAS pool
pinned to THREADS (tools/torch-reference/peer.py); the JSON line names the BLAS kernels used
(`blas`, `blasCore`, `cpuCapability`), and stderr says it in words.
"""
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "torch-reference"))
import peer  # noqa: E402

SGEMM = sys.argv[1] == "--sgemm"
THREADS = int(sys.argv[3] if SGEMM else sys.argv[7])
peer.prepare(THREADS)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from gpt2 import GPT  # noqa: E402

torch.set_num_threads(THREADS)
INFO = peer.describe(torch)
peer.announce(INFO)

if SGEMM:
    # What PyTorch's BLAS (OpenBLAS here) reaches on one dense matmul: a practical reference next to the
    # FMA peak that MFU is measured against.
    N = int(sys.argv[2])
    torch.manual_seed(0)
    a, b = torch.randn(N, N), torch.randn(N, N)
    torch.mm(a, b)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"peer": "pytorch-sgemm", "torch": torch.__version__, "threads": THREADS, "n": N,
                      "flops": round(2 * N ** 3 / best), **INFO}))
    sys.exit(0)

size, V, T, B, STEPS, WARMUP = sys.argv[1], *map(int, sys.argv[2:7])
L, H, D = map(int, size.split("_"))
torch.manual_seed(0)
model = GPT(V, T, L, H, D, tied=True, wpe_std=0.01, residual_std=0.02 / math.sqrt(2 * L))
params = list(model.parameters())
opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)


def loss_fn(tokens):
    return F.cross_entropy(model(tokens[:, :-1]).view(-1, V), tokens[:, 1:].reshape(-1))


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
                  "msPerStep": round(ms, 1), "tokensPerSecond": round(B * T * 1000 / ms), "loss": float(loss),
                  **INFO}))
