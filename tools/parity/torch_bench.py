"""PyTorch CPU peer for `pnpm --filter @procpt/model bench`: forward+backward tokens/s of the same
GPT-2 (tools/torch-reference/gpt2.py: HF semantics, float32, dropout 0, tied head, every weight N(0, 0.02))
with procpt's masked-mean CE, on the same shapes.

    $PYTHON tools/parity/torch_bench.py SIZE VOCAB T B STEPS [THREADS]      (PYTHON: a python3 with torch)

Runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed and the BLAS pool pinned to THREADS
(tools/torch-reference/peer.py). Prints one JSON line: {"torch", "threads", "tokensPerSecond", "medianMs",
"blas", "blasCore", "cpuCapability", "unset"}, and the BLAS kernels it runs on stderr.
"""
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch-reference"))
import peer  # noqa: E402

THREADS = int(sys.argv[6]) if len(sys.argv) > 6 else 1
peer.prepare(THREADS)
import torch  # noqa: E402
from gpt2 import GPT, masked_mean_ce  # noqa: E402


def main():
    size, vocab, t, b, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(THREADS)
    info = peer.describe(torch)
    peer.announce(info)
    torch.manual_seed(0)
    n_layer, n_head, d = (int(x) for x in size.split("_"))
    model = GPT(vocab, t, n_layer, n_head, d, tied=True)

    g = torch.Generator().manual_seed(1)
    tokens = torch.randint(0, vocab, (b, t + 1), generator=g)
    mask = torch.ones(b, t + 1, dtype=torch.long)
    times = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        model.zero_grad(set_to_none=True)
        masked_mean_ce(model(tokens[:, :-1]), tokens[:, 1:], mask[:, 1:]).backward()
        if s > 0:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "tokensPerSecond": b * t / med, "medianMs": med * 1000, **info}))


if __name__ == "__main__":
    main()
