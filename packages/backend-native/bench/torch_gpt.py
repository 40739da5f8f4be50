# PyTorch CPU peer of bench/train-bench.mjs: the same pre-LN GPT-2 (tools/torch-reference/gpt2.py: tied head,
# tanh GELU, learned positions N(0, 0.01), other weights N(0, 0.02)), the same synthetic data rule and Adam
# (lr 3e-3), timed per step. Prints one JSON line, with the BLAS kernels it ran (`blas`, `blasCore`,
# `cpuCapability`); runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and the BLAS pool pinned to `threads`
# (tools/torch-reference/peer.py).
# Usage: $PYTHON torch_gpt.py L H D V T B steps warmup threads      (PYTHON: a python3 with torch)
import json, os, statistics, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "torch-reference"))
import peer  # noqa: E402

L, H, D, V, T, B, STEPS, WARMUP, THREADS = (int(a) for a in sys.argv[1:10])
peer.prepare(THREADS)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from gpt2 import GPT  # noqa: E402

torch.set_num_threads(THREADS)
INFO = peer.describe(torch)
peer.announce(INFO)
torch.manual_seed(0)
model = GPT(V, T, L, H, D, tied=True, wpe_std=0.01)
opt = torch.optim.Adam(model.parameters(), lr=3e-3)


def loss_fn(idx, tgt):
    return F.cross_entropy(model(idx).view(B * T, V), tgt.view(B * T))


g = torch.Generator().manual_seed(1)
def batch():
    idx = torch.randint(0, V, (B, T), generator=g)
    tgt = torch.where(torch.rand(B, T, generator=g) < 0.1, torch.randint(0, V, (B, T), generator=g), (idx * 7 + 3) % V)
    return idx, tgt

times, losses = [], []
for s in range(WARMUP + STEPS):
    idx, tgt = batch()
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(idx, tgt)
    loss.backward()
    opt.step()
    losses.append(loss.item())
    if s >= WARMUP:
        times.append(time.perf_counter() - t0)
med = statistics.median(times)
print(json.dumps({'engine': f'torch-{THREADS}t', 'torch': torch.__version__, 'ms': med * 1000,
                  'tokens_per_s': B * T / med, 'loss_first': losses[0], 'loss_last': losses[-1], **INFO}))
