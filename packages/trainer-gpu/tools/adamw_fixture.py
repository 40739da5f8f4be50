"""Writes src/fixtures/adamw.json: torch.optim.AdamW on a tiny least-squares problem.

Three parameters named like GPT-2 ones (a weight, a bias, a LayerNorm weight) so the no-decay
groups are exercised; gradient clipping by global norm 1.0 (torch.nn.utils.clip_grad_norm_);
3 steps with a per-step learning rate. Run: "$PYTHON" tools/adamw_fixture.py (PYTHON: a python3 with torch)
"""
import json
import os

import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)
W = torch.randn(4, 3)
b = torch.randn(3) * 0.1
g = torch.ones(3) + 0.05 * torch.randn(3)
x = torch.randn(5, 4)
y = torch.randn(5, 3)
init = {"transformer.h.0.mlp.c_fc.weight": W, "transformer.h.0.mlp.c_fc.bias": b, "transformer.h.0.ln_1.weight": g}
params = {k: v.clone().requires_grad_() for k, v in init.items()}
lrs = [1e-2, 5e-3, 2.5e-3]


def loss_fn(p):
    out = (x @ p["transformer.h.0.mlp.c_fc.weight"] + p["transformer.h.0.mlp.c_fc.bias"]) * p["transformer.h.0.ln_1.weight"]
    return ((out - y) ** 2).mean() * 10.0  # scaled so clipping at 1.0 actually triggers


decay = [params["transformer.h.0.mlp.c_fc.weight"]]
no_decay = [params["transformer.h.0.mlp.c_fc.bias"], params["transformer.h.0.ln_1.weight"]]
opt = torch.optim.AdamW(
    [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
    lr=lrs[0], betas=(0.9, 0.999), eps=1e-8,
)
norms, losses = [], []
for lr in lrs:
    for group in opt.param_groups:
        group["lr"] = lr
    opt.zero_grad()
    loss = loss_fn(params)
    loss.backward()
    norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)))
    losses.append(float(loss))
    opt.step()

fixture = {
    "description": "torch.optim.AdamW, 3 steps, wd 0.1 on the weight only, clip 1.0; see tools/adamw_fixture.py",
    "torch": torch.__version__,
    "x": x.tolist(), "y": y.tolist(), "lrs": lrs, "maxNorm": 1.0, "weightDecay": 0.1,
    "noDecay": ["bias", "ln"],
    "init": {k: {"shape": list(v.shape), "values": v.flatten().tolist()} for k, v in init.items()},
    "final": {k: v.detach().flatten().tolist() for k, v in params.items()},
    "expAvg": {k: opt.state[v]["exp_avg"].flatten().tolist() for k, v in params.items()},
    "expAvgSq": {k: opt.state[v]["exp_avg_sq"].flatten().tolist() for k, v in params.items()},
    "gradNorms": norms, "losses": losses,
}
out = os.path.join(os.path.dirname(__file__), "..", "src", "fixtures", "adamw.json")
with open(out, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", out, "grad norms", norms)
