#!/bin/sh
# Third screen (after the procpt check): identity (attention-only) and the paper's own Dyck defaults at d=16.
# PYTHON: an interpreter with torch (default: python3 on PATH; see research/README.md)
cd "$(dirname "$0")" && mkdir -p results
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
while [ -n "$WAIT_PID" ] && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 5; done
run() { nice -n 10 "${PYTHON:-python3}" screen.py "$@" >> results/screen.jsonl; }
run --budget 10000x64 --seeds 0 --warmup identity:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01 --transfer attn
run --budget 10000x64 --seeds 0 --warmup dyck:k=64,L=128,steps=2000 --transfer attn,everything
