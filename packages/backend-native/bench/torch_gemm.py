# GEMM GFLOP/s of torch (1 and 2 threads) and numpy for the shapes given as MxKxN arguments. One JSON line; the
# BLAS kernels used go to stderr. Runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed, as every PyTorch peer
# (tools/torch-reference/peer.py). Usage: $PYTHON torch_gemm.py 512x512x512 ...   (PYTHON: a python3 with torch)
import ctypes, json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools", "torch-reference"))
import peer  # noqa: E402

peer.prepare()
import numpy as np  # noqa: E402
import torch  # noqa: E402

peer.announce(peer.describe(torch))

# torch.set_num_threads does not reach Debian's system OpenBLAS (torch is built with BLAS=generic); set its pool
# directly through the library torch already loaded, when it is OpenBLAS.
try:
    _blas = ctypes.CDLL("libblas.so.3").openblas_set_num_threads
except (OSError, AttributeError):
    _blas = None

def best(fn, flops, reps=5):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return flops / sorted(ts)[len(ts) // 2] / 1e9

out = {}
for spec in sys.argv[1:]:
    m, k, n = (int(x) for x in spec.split('x'))
    a, b = torch.randn(m, k), torch.randn(k, n)
    na, nb = a.numpy(), b.numpy()
    r = {}
    for th in (1, 2):
        torch.set_num_threads(th)
        if _blas:
            _blas(th)
        r[f'torch-{th}t'] = best(lambda: a @ b, 2.0 * m * n * k)
    r['numpy'] = best(lambda: na @ nb, 2.0 * m * n * k)
    out[spec] = r
print(json.dumps(out))
