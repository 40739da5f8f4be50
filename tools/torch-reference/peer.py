"""Process setup of a PyTorch CPU peer (a benchmark's side-by-side PyTorch run, or a fixture generator).

Call `prepare(threads)` before torch or numpy is imported: the BLAS library reads its settings from the
environment when it loads, and later changes do not reach it.

- Threads: `torch.set_num_threads` does not reach a system OpenBLAS (Debian's torch is built with
  BLAS=generic and calls it), whose pthread pool sizes itself from OPENBLAS_NUM_THREADS when it loads. Without
  it a "1 thread" peer runs its matmuls on every core (torch.mm 2048^2: 201 GFLOP/s "1 thread" vs 101).
- Kernels: some machines set OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE), which forces OpenBLAS's kernels for
  that core type, e.g. Haswell's AVX2 ones on an AVX-512 machine. The peer removes both from its own
  environment so OpenBLAS picks the kernels of the machine it runs on (torch.mm 2048^2 on 1 thread: 102
  GFLOP/s with OPENBLAS_CORETYPE=Haswell, 183 without, equally accurate). Nothing else changes them: tests and
  other processes keep whatever the machine sets.

`describe(torch)` says which BLAS and kernels the process runs (OpenBLAS's own core name and build config,
and ATen's CPU capability); `announce(info)` prints it as one line on stderr.
"""
import os
import re
import sys

FORCING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
_removed = {}


def prepare(threads=None):
    """Removes OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from this process's environment and, with `threads`, pins
    the BLAS and OpenMP pools to that many threads. Must run before torch (or numpy) is imported."""
    if "torch" in sys.modules or "numpy" in sys.modules:
        raise RuntimeError("peer.prepare() must run before torch or numpy is imported")
    for var in FORCING:
        if var in os.environ:
            _removed[var] = os.environ.pop(var)
    if threads is not None:
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(threads)


def _openblas():
    """(core name, build config) of the OpenBLAS this process loaded, or None."""
    try:
        import ctypes
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if len(line.split()) >= 6}
        libs = sorted(p for p in paths if "blas" in os.path.basename(p).lower() and ".so" in p)
    except OSError:
        return None
    for path in libs:
        if not path.startswith("/"):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return lib.openblas_get_corename().decode(), lib.openblas_get_config().decode()
        except (OSError, AttributeError):
            continue
    return None


def _cpu_capability(torch):
    try:
        return torch.backends.cpu.get_cpu_capability()   # torch >= 2.0
    except AttributeError:
        m = re.search(r"CPU capability usage: (\S+)", torch.__config__.show())
        return m.group(1) if m else "unknown"


def describe(torch):
    """{"blas", "blasCore", "cpuCapability", "unset"}: the BLAS library and the kernels it chose for this
    machine, ATen's vector capability, and the forcing variables `prepare` removed (name -> former value)."""
    ob = _openblas()
    if ob:
        blas = {"blas": ob[1], "blasCore": ob[0]}
    else:
        mkl = torch.backends.mkl.is_available() if hasattr(torch.backends, "mkl") else False
        blas = {"blas": "MKL" if mkl else "not OpenBLAS", "blasCore": None}
    return {**blas, "cpuCapability": _cpu_capability(torch), "unset": dict(_removed)}


def announce(info, label="PyTorch peer"):
    unset = ", ".join(f"{k}={v}" for k, v in info["unset"].items())
    core = f"kernels {info['blasCore']}, " if info.get("blasCore") else ""
    print(f"{label}: {info['blas']} ({core}ATen CPU capability {info['cpuCapability']})"
          + (f"; unset for this process: {unset}" if unset else ""), file=sys.stderr, flush=True)
