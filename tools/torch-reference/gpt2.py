"""The repository's one PyTorch GPT-2: reference for the parity fixtures, model of every CPU peer benchmark
and of the haystack research screens.

The math is Hugging Face's `GPT2LMHeadModel`: token + learned position embeddings, pre-LayerNorm blocks
(causal softmax attention, tanh GELU MLP), a final LayerNorm and an LM head that may share the token
embedding (`tied`). Dropout sits where GPT-2 has it: on the embeddings, on the attention probabilities and on
both residual branches (rate 0 is the identity).

Parameter names are HF's without the `transformer.` prefix: `wte`, `wpe`, `h.{i}.ln_1`, `h.{i}.attn.c_attn`,
`h.{i}.attn.c_proj`, `h.{i}.ln_2`, `h.{i}.mlp.c_fc`, `h.{i}.mlp.c_proj`, `ln_f`, `lm_head`. Linear weights are
`nn.Linear`'s [out, in], the transpose of HF's Conv1D [in, out]: `hf_parameters` and `load_hf` convert.

Construction draws from torch's global RNG in a fixed order (every Linear/Embedding's default init, then
N(0, std) for every weight, biases 0), and parameters are registered in the order ln_1, ln_2, attn, mlp within
a block; both are what the haystack screen's seeded runs were made with, so do not reorder them.

Who imports it (each puts this folder on sys.path):
- tools/parity/gpt2_parity.py: the float64 fixture of @procpt/model's parity tests;
- tools/parity/torch_bench.py, packages/trainer-gpu/tools/torch_bench.py,
  packages/backend-native/bench/torch_gpt.py: the PyTorch CPU peers of the benchmarks (with peer.py);
- research/haystack-search/screen.py and circuits.py: the warm-up screens of the haystack reproduction.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    """`attn.c_attn` (q, k, v in one [3d, d] projection) and `attn.c_proj`; the math is in `Block`."""

    def __init__(self, d):
        super().__init__()
        self.c_attn, self.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)


class MLP(nn.Module):
    """`mlp.c_fc` (d -> 4d) and `mlp.c_proj` (4d -> d); the math is in `Block`."""

    def __init__(self, d):
        super().__init__()
        self.c_fc, self.c_proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)


class Block(nn.Module):
    def __init__(self, d, n_head, dropout=0.0, eps=1e-5):
        super().__init__()
        self.d, self.n_head = d, n_head
        self.ln_1, self.ln_2 = nn.LayerNorm(d, eps=eps), nn.LayerNorm(d, eps=eps)
        self.attn, self.mlp = Attention(d), MLP(d)
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        B, T, D = x.shape
        dh = D // self.n_head
        q, k, v = self.attn.c_attn(self.ln_1(x)).split(D, -1)
        sh = lambda t: t.view(B, T, self.n_head, dh).transpose(1, 2)  # noqa: E731
        q, k, v = sh(q), sh(k), sh(v)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(dh)
        a = a.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device)), float("-inf"))
        y = self.drop(a.softmax(-1)) @ v
        x = x + self.drop(self.attn.c_proj(y.transpose(1, 2).reshape(B, T, D)))
        return x + self.drop(self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(x)), approximate="tanh")))

    def forward_at(self, x, col):
        """This block's output at one position per row (x [B, T, D], col [B]), without dropout: exact when only
        that position is read afterwards (the last block of a model scored at one position), and ~2x cheaper."""
        B, T, D = x.shape
        dh = D // self.n_head
        qkv = self.attn.c_attn(self.ln_1(x))
        r = torch.arange(B, device=x.device)
        q = qkv[r, col, :D].view(B, self.n_head, 1, dh)
        k = qkv[:, :, D:2 * D].view(B, T, self.n_head, dh).transpose(1, 2)
        v = qkv[:, :, 2 * D:].view(B, T, self.n_head, dh).transpose(1, 2)
        a = (q @ k.transpose(-1, -2)) / math.sqrt(dh)  # [B, H, 1, T]
        a = a.masked_fill((torch.arange(T, device=x.device)[None, :] > col[:, None])[:, None, None, :], float("-inf"))
        y = (a.softmax(-1) @ v).reshape(B, D)
        h = x[r, col] + self.attn.c_proj(y)
        return h + self.mlp.c_proj(F.gelu(self.mlp.c_fc(self.ln_2(h)), approximate="tanh"))

    def attention_probs(self, x):
        """The causal attention probabilities [B, H, T, T] of this block's input (no dropout)."""
        B, T, D = x.shape
        dh = D // self.n_head
        q, k, _ = self.attn.c_attn(self.ln_1(x)).split(D, -1)
        sh = lambda t: t.view(B, T, self.n_head, dh).transpose(1, 2)  # noqa: E731
        a = (sh(q) @ sh(k).transpose(-1, -2)) / math.sqrt(dh)
        a = a.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device)), float("-inf"))
        return a.softmax(-1)


class GPT(nn.Module):
    """GPT-2 with `n_layer` blocks of width `d` and `n_head` heads.

    Init: every weight N(0, std), position table N(0, wpe_std) (default std), the two residual projections
    (`attn.c_proj`, `mlp.c_proj`) N(0, residual_std) (default std; HF and procpt use std / sqrt(2 n_layer)),
    biases 0, LayerNorm gains 1."""

    def __init__(self, vocab, n_positions, n_layer=2, n_head=4, d=16, tied=True, dropout=0.0, eps=1e-5,
                 std=0.02, wpe_std=None, residual_std=None):
        super().__init__()
        self.n_layer, self.n_head, self.d = n_layer, n_head, d
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(n_positions, d)
        self.h = nn.ModuleList(Block(d, n_head, dropout, eps) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d, eps=eps)
        self.drop = nn.Dropout(dropout)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        stds = {"wpe": std if wpe_std is None else wpe_std, "c_proj": std if residual_std is None else residual_std}
        for name, m in self.named_modules():   # parents before children, in registration order
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, stds.get(name.split(".")[-1], std))
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        if tied:
            self.lm_head.weight = self.wte.weight

    def embed(self, idx):
        return self.drop(self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device)))

    def forward(self, idx):
        """Logits [B, T, vocab] of token ids [B, T]."""
        x = self.embed(idx)
        for b in self.h:
            x = b(x)
        return self.lm_head(self.ln_f(x))


def masked_mean_ce(logits, targets, mask=None):
    """Cross-entropy averaged over the positions where `mask` is 1 (every position without a mask): procpt's
    training loss. logits [..., V], targets and mask [...]."""
    logits, targets = logits.reshape(-1, logits.shape[-1]), targets.reshape(-1)
    if mask is None:
        return F.cross_entropy(logits, targets)
    ce = F.cross_entropy(logits, targets, reduction="none")
    w = mask.reshape(-1).to(ce.dtype)
    return (ce * w).sum() / w.sum().clamp(min=1)


# ---- HF names and layout (checkpoints written by @procpt/model's saveCheckpoint) ----
_CONV1D = (".attn.c_attn.weight", ".attn.c_proj.weight", ".mlp.c_fc.weight", ".mlp.c_proj.weight")


def hf_name(name):
    """This module's parameter name -> HF's (`h.0.ln_1.weight` -> `transformer.h.0.ln_1.weight`)."""
    return name if name == "lm_head.weight" else f"transformer.{name}"


def hf_parameters(model):
    """{HF name: (parameter, is_conv1d)} in HF's order (wte, wpe, per block ln_1, attn, ln_2, mlp, ln_f, and
    lm_head when untied). A Conv1D weight's HF value is the parameter transposed."""
    params = dict(model.named_parameters())   # a tied lm_head.weight is wte.weight: listed once, as wte
    order = ["wte.weight", "wpe.weight"]
    for i in range(model.n_layer):
        order += [f"h.{i}.{s}" for s in ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                                         "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                                         "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")]
    order += ["ln_f.weight", "ln_f.bias"] + (["lm_head.weight"] if "lm_head.weight" in params else [])
    return {hf_name(n): (params[n], n.endswith(_CONV1D)) for n in order}


def load_hf(model, tensors):
    """Copies HF-named, HF-layout tensors (numpy arrays or tensors) into the model's parameters."""
    with torch.no_grad():
        for name, (p, conv1d) in hf_parameters(model).items():
            t = torch.as_tensor(tensors[name]).to(p.dtype)
            p.copy_(t.T if conv1d else t)


def hf_value(t, conv1d):
    """A parameter (or its gradient) in HF's layout."""
    return t.T if conv1d else t


# ---- state dicts saved before the module moved here (the screen's --save files) ----
_OLD_NAMES = {".c_attn.": ".attn.c_attn.", ".c_proj.": ".attn.c_proj.", ".c_fc.": ".mlp.c_fc.",
              ".mlp_proj.": ".mlp.c_proj."}


def upgrade_state_dict(sd):
    """Renames the keys of a state dict saved by the haystack screen's earlier model (`h.0.c_attn.weight`,
    `h.0.mlp_proj.weight`) to this module's (`h.0.attn.c_attn.weight`, `h.0.mlp.c_proj.weight`)."""
    if not any(".mlp_proj." in k for k in sd):
        return sd
    out = {}
    for k, v in sd.items():
        for old, new in _OLD_NAMES.items():
            if k.startswith("h.") and old in k:
                k = k.replace(old, new)
                break
        out[k] = v
    return out
