#!/usr/bin/python3
"""PyTorch CPU peer for `pnpm --filter @procpt/model bench`: forward+backward tokens/s of the same
GPT-2 (HF semantics, float32, dropout 0, masked-mean CE) on the same shapes.

    /usr/bin/python3 tools/parity/torch_bench.py SIZE VOCAB T B STEPS [THREADS]

Prints one JSON line: {"torch": version, "threads": n, "tokensPerSecond": x, "medianMs": y}.
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def main():
    size, vocab, t, b, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    threads = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n_layer, n_head, d = (int(x) for x in size.split("_"))
    hd = d // n_head

    def P(*shape, std=None, fill=None):
        x = torch.empty(*shape)
        x.fill_(fill) if fill is not None else x.normal_(0, std)
        return x.requires_grad_()

    wte, wpe = P(vocab, d, std=0.02), P(t, d, std=0.02)
    layers = [dict(l1w=P(d, fill=1.0), l1b=P(d, fill=0.0), aw=P(d, 3 * d, std=0.02), ab=P(3 * d, fill=0.0),
                   pw=P(d, d, std=0.02), pb=P(d, fill=0.0), l2w=P(d, fill=1.0), l2b=P(d, fill=0.0),
                   fw=P(d, 4 * d, std=0.02), fb=P(4 * d, fill=0.0), mw=P(4 * d, d, std=0.02), mb=P(d, fill=0.0))
              for _ in range(n_layer)]
    lfw, lfb = P(d, fill=1.0), P(d, fill=0.0)
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))

    def loss_fn(tokens, mask):
        idx, tgt = tokens[:, :-1], tokens[:, 1:]
        x = wte[idx] + wpe[:t]
        for ly in layers:
            a = F.layer_norm(x, (d,), ly["l1w"], ly["l1b"], 1e-5) @ ly["aw"] + ly["ab"]
            q, k, v = (z.view(b, t, n_head, hd).transpose(1, 2) for z in a.split(d, dim=2))
            w = ((q @ k.transpose(-1, -2)) / math.sqrt(hd)).masked_fill(~causal, float("-inf"))
            x = x + (w.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d) @ ly["pw"] + ly["pb"]
            h = F.layer_norm(x, (d,), ly["l2w"], ly["l2b"], 1e-5) @ ly["fw"] + ly["fb"]
            h = 0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h * h * h)))
            x = x + h @ ly["mw"] + ly["mb"]
        logits = F.layer_norm(x, (d,), lfw, lfb, 1e-5) @ wte.T
        ce = F.cross_entropy(logits.reshape(-1, vocab), tgt.reshape(-1), reduction="none")
        m = mask[:, 1:].reshape(-1).float()
        return (ce * m).sum() / m.sum().clamp(min=1)

    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, vocab, (b, t + 1), generator=g)
    mask = torch.ones(b, t + 1, dtype=torch.long)
    params = [wte, wpe, lfw, lfb] + [p for ly in layers for p in ly.values()]
    times = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        for p in params:
            p.grad = None
        loss_fn(tokens, mask).backward()
        if s > 0:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "tokensPerSecond": b * t / med, "medianMs": med * 1000}))


if __name__ == "__main__":
    main()
