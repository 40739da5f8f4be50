# PyTorch CPU peer of bench/train-bench.mjs: the same pre-LN GPT-2 (tied head, tanh GELU, learned positions),
# the same synthetic data rule and Adam (lr 3e-3), timed per step. Prints one JSON line.
# Usage: python3 torch_gpt.py L H D V T B steps warmup threads
import json, math, os, statistics, sys, time

L, H, D, V, T, B, STEPS, WARMUP, THREADS = (int(a) for a in sys.argv[1:10])
# Debian's torch uses the system OpenBLAS, whose thread pool torch.set_num_threads does not reach: pin it here,
# before torch loads it, or "1 thread" runs its matmuls on every core.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[var] = str(THREADS)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(THREADS)
torch.manual_seed(0)
FF = 4 * D

def param(*shape, std=None, fill=None):
    t = torch.empty(*shape)
    t.fill_(fill) if fill is not None else t.normal_(0, std)
    return t.requires_grad_()

wte, wpe = param(V, D, std=0.02), param(T, D, std=0.01)
lnf = (param(D, fill=1.0), param(D, fill=0.0))
blocks = [dict(ln1=(param(D, fill=1.0), param(D, fill=0.0)), wqkv=param(D, 3 * D, std=0.02), bqkv=param(3 * D, fill=0.0),
               wo=param(D, D, std=0.02), bo=param(D, fill=0.0), ln2=(param(D, fill=1.0), param(D, fill=0.0)),
               wfc=param(D, FF, std=0.02), bfc=param(FF, fill=0.0), wpr=param(FF, D, std=0.02), bpr=param(D, fill=0.0))
          for _ in range(L)]
params = [wte, wpe, *lnf] + [p for b in blocks for v in b.values() for p in (v if isinstance(v, tuple) else (v,))]
mask = torch.triu(torch.full((T, T), -1e9), diagonal=1)
opt = torch.optim.Adam(params, lr=3e-3)

def gelu(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)))

def loss_fn(idx, tgt):
    N, dh = B * T, D // H
    x = (wte[idx.view(N)].view(B, T, D) + wpe).view(N, D)
    for b in blocks:
        h = F.layer_norm(x, (D,), *b['ln1'], 1e-5)
        qkv = (h @ b['wqkv'] + b['bqkv']).view(B, T, 3, H, dh).permute(2, 0, 3, 1, 4)
        att = ((qkv[0] @ qkv[1].transpose(-1, -2)) * (1 / math.sqrt(dh)) + mask).softmax(-1)
        y = (att @ qkv[2]).transpose(1, 2).reshape(N, D)
        x = x + (y @ b['wo'] + b['bo'])
        x = x + (gelu(F.layer_norm(x, (D,), *b['ln2'], 1e-5) @ b['wfc'] + b['bfc']) @ b['wpr'] + b['bpr'])
    logits = F.layer_norm(x, (D,), *lnf, 1e-5) @ wte.t()
    return F.cross_entropy(logits, tgt.view(N))

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
                  'tokens_per_s': B * T / med, 'loss_first': losses[0], 'loss_last': losses[-1]}))
