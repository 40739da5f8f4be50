#!/usr/bin/python3
"""PyTorch reference for @procpt/model (the llm.c way).

Loads procpt checkpoints (model.safetensors + config.json, parsed here without the `safetensors`
or `transformers` packages), rebuilds HF GPT2LMHeadModel's math in plain torch (float64), and
dumps logits, the masked loss, gradients, the global grad norm and the weights after 3 AdamW
steps into one JSON fixture. Run with Debian's python3-torch:

    /usr/bin/python3 tools/parity/gpt2_parity.py OUT.json CKPT_DIR [CKPT_DIR ...]
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32}
ADAMW = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weightDecay": 0.1, "steps": 3}
BATCH, LENGTH = 3, 8


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return out


def param_order(cfg):
    names = ["transformer.wte.weight", "transformer.wpe.weight"]
    for i in range(cfg["n_layer"]):
        p = f"transformer.h.{i}."
        for s in ["ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                  "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                  "mlp.c_proj.weight", "mlp.c_proj.bias"]:
            names.append(p + s)
    names += ["transformer.ln_f.weight", "transformer.ln_f.bias"]
    if not cfg["tie_word_embeddings"]:
        names.append("lm_head.weight")
    return names


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def forward(p, cfg, idx):
    """GPT2LMHeadModel.forward (eval mode, no dropout): logits [B, T, V]."""
    b, t = idx.shape
    d, h = cfg["n_embd"], cfg["n_head"]
    hd, eps = d // h, cfg["layer_norm_epsilon"]
    ln = lambda x, pre: torch.nn.functional.layer_norm(x, (d,), p[pre + ".weight"], p[pre + ".bias"], eps)
    x = p["transformer.wte.weight"][idx] + p["transformer.wpe.weight"][:t]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(cfg["n_layer"]):
        pre = f"transformer.h.{i}."
        a = ln(x, pre + "ln_1") @ p[pre + "attn.c_attn.weight"] + p[pre + "attn.c_attn.bias"]
        q, k, v = a.split(d, dim=2)
        q, k, v = (z.view(b, t, h, hd).transpose(1, 2) for z in (q, k, v))
        w = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min, dtype=w.dtype))
        y = (w.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + y @ p[pre + "attn.c_proj.weight"] + p[pre + "attn.c_proj.bias"]
        f = gelu_new(ln(x, pre + "ln_2") @ p[pre + "mlp.c_fc.weight"] + p[pre + "mlp.c_fc.bias"])
        x = x + f @ p[pre + "mlp.c_proj.weight"] + p[pre + "mlp.c_proj.bias"]
    x = ln(x, "transformer.ln_f")
    head = p["transformer.wte.weight"] if cfg["tie_word_embeddings"] else p["lm_head.weight"]
    return x @ head.T


def masked_loss(p, cfg, tokens, mask):
    """procpt's loss: inputs tokens[:, :-1], targets tokens[:, 1:], mean over mask[:, 1:] == 1."""
    logits = forward(p, cfg, tokens[:, :-1])
    ce = torch.nn.functional.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), tokens[:, 1:].reshape(-1), reduction="none"
    )
    w = mask[:, 1:].reshape(-1).to(ce.dtype)
    return (ce * w).sum() / w.sum().clamp(min=1)


def flat(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def tensors_json(names, p):
    return {n: {"shape": list(p[n].shape), "data": flat(p[n])} for n in names}


def run_case(ckpt_dir, seed):
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        cfg = json.load(f)
    st = read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))
    names = param_order(cfg)
    p = {n: torch.tensor(st[n], dtype=torch.float64, requires_grad=True) for n in names}
    init = {n: p[n].detach().clone() for n in names}
    rng = np.random.RandomState(seed)
    tokens = torch.tensor(rng.randint(0, cfg["vocab_size"], size=(BATCH, LENGTH)), dtype=torch.long)
    mask = torch.tensor((rng.rand(BATCH, LENGTH) > 0.25).astype(np.int64))
    mask[-1, 4:] = 0  # a right-padded tail, as packed batches have

    logits = forward(p, cfg, tokens)
    loss = masked_loss(p, cfg, tokens, mask)
    grads = torch.autograd.grad(loss, [p[n] for n in names])
    grad_norm = math.sqrt(sum(float((g * g).sum()) for g in grads))

    opt = torch.optim.AdamW(
        [p[n] for n in names], lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]),
        eps=ADAMW["eps"], weight_decay=ADAMW["weightDecay"],
    )
    losses = []
    for _ in range(ADAMW["steps"]):
        opt.zero_grad()
        l = masked_loss(p, cfg, tokens, mask)
        l.backward()
        opt.step()
        losses.append(float(l))
    return {
        "name": os.path.basename(os.path.normpath(ckpt_dir)),
        "config": {
            "nLayer": cfg["n_layer"], "nHead": cfg["n_head"], "dModel": cfg["n_embd"],
            "vocabSize": cfg["vocab_size"], "nPositions": cfg["n_positions"],
            "tied": cfg["tie_word_embeddings"], "dropout": 0, "layerNormEpsilon": cfg["layer_norm_epsilon"],
            "initializerRange": cfg["initializer_range"],
        },
        "tokens": tokens.tolist(),
        "lossMask": mask.tolist(),
        "weights": tensors_json(names, init),
        "logits": {"shape": list(logits.shape), "data": flat(logits)},
        "loss": float(loss),
        "grads": {n: {"shape": list(g.shape), "data": flat(g)} for n, g in zip(names, grads)},
        "gradNorm": grad_norm,
        "adamw": {"losses": losses, "weights": tensors_json(names, p)},
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    torch.manual_seed(0)
    cases = [run_case(d, 100 + i) for i, d in enumerate(sys.argv[2:])]
    fixture = {
        "generator": "tools/parity/gpt2_parity.py",
        "torch": torch.__version__,
        "precision": "float64 reference, rounded to 9 significant digits",
        "adamwConfig": ADAMW,
        "cases": cases,
    }
    with open(sys.argv[1], "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {sys.argv[1]} ({os.path.getsize(sys.argv[1])} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
