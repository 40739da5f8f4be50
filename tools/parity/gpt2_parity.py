"""PyTorch reference for @procpt/model (the llm.c way).

Loads procpt checkpoints (model.safetensors + config.json, parsed here without the `safetensors`
or `transformers` packages) into the repository's PyTorch GPT-2 (tools/torch-reference/gpt2.py, HF
GPT2LMHeadModel's math) in float64, and dumps logits, the masked loss, gradients, the global grad norm and
the weights after 3 AdamW steps into one JSON fixture, in HF's names and Conv1D layout:

    $PYTHON tools/parity/gpt2_parity.py OUT.json CKPT_DIR [CKPT_DIR ...]      (PYTHON: a python3 with torch)

Like the benchmark peers it runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its own environment
(tools/torch-reference/peer.py): the committed fixture was written so, and float64 GEMMs round differently
under other kernels (up to ~5e-13 of a tensor's largest value).
"""
import json
import math
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch-reference"))
import peer  # noqa: E402

peer.prepare()
import numpy as np  # noqa: E402
import torch  # noqa: E402
from gpt2 import GPT, hf_parameters, hf_value, load_hf, masked_mean_ce  # noqa: E402

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


def masked_loss(model, tokens, mask):
    """procpt's loss: inputs tokens[:, :-1], targets tokens[:, 1:], mean over mask[:, 1:] == 1."""
    return masked_mean_ce(model(tokens[:, :-1]), tokens[:, 1:], mask[:, 1:])


def flat(t):
    return [float("%.9g" % v) for v in t.detach().reshape(-1).tolist()]


def tensors_json(params):
    return {n: {"shape": list(hf_value(p, conv1d).shape), "data": flat(hf_value(p, conv1d))}
            for n, (p, conv1d) in params.items()}


def run_case(ckpt_dir, seed):
    with open(os.path.join(ckpt_dir, "config.json")) as f:
        cfg = json.load(f)
    st = read_safetensors(os.path.join(ckpt_dir, "model.safetensors"))
    model = GPT(cfg["vocab_size"], cfg["n_positions"], cfg["n_layer"], cfg["n_head"], cfg["n_embd"],
                tied=cfg["tie_word_embeddings"], eps=cfg["layer_norm_epsilon"]).double().eval()
    params = hf_parameters(model)
    load_hf(model, st)
    init = {n: (p.detach().clone(), conv1d) for n, (p, conv1d) in params.items()}
    rng = np.random.RandomState(seed)
    tokens = torch.tensor(rng.randint(0, cfg["vocab_size"], size=(BATCH, LENGTH)), dtype=torch.long)
    mask = torch.tensor((rng.rand(BATCH, LENGTH) > 0.25).astype(np.int64))
    mask[-1, 4:] = 0  # a right-padded tail, as packed batches have

    logits = model(tokens)
    loss = masked_loss(model, tokens, mask)
    grads = torch.autograd.grad(loss, [p for p, _ in params.values()])
    grad_norm = math.sqrt(sum(float((g * g).sum()) for g in grads))

    opt = torch.optim.AdamW(
        [p for p, _ in params.values()], lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]),
        eps=ADAMW["eps"], weight_decay=ADAMW["weightDecay"],
    )
    losses = []
    for _ in range(ADAMW["steps"]):
        opt.zero_grad()
        l = masked_loss(model, tokens, mask)
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
        "weights": tensors_json(init),
        "logits": {"shape": list(logits.shape), "data": flat(logits)},
        "loss": float(loss),
        "grads": {n: {"shape": list(hf_value(g, conv1d).shape), "data": flat(hf_value(g, conv1d))}
                  for (n, (_, conv1d)), g in zip(params.items(), grads)},
        "gradNorm": grad_norm,
        "adamw": {"losses": losses, "weights": tensors_json(params)},
    }


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    peer.announce(peer.describe(torch), "gpt2_parity")
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
