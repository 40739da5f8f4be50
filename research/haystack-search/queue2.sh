#!/bin/sh
# Second queue: the paper's 10,000 fine-tuning steps at batch 64 (step count, not examples, is what lets a
# retrieval circuit form), after the reduced 1000x250 screen showed no learning at all.
# PYTHON: an interpreter with torch (default: python3 on PATH; see research/README.md)
cd "$(dirname "$0")" && mkdir -p results
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
while [ -n "$WAIT_PID" ] && kill -0 "$WAIT_PID" 2>/dev/null; do sleep 5; done
run() { nice -n 10 "${PYTHON:-python3}" screen.py "$@" >> results/screen.jsonl; }
run --budget 1000x250 --seeds 0,1 --warmup dyck:k=4,L=64,steps=4000,lr=3e-3,drop=0,wd=0.01 --transfer attn
run --budget 10000x64 --seeds 0 --warmup none
run --budget 10000x64 --seeds 0 --warmup dyck:k=4,L=64,steps=4000,lr=3e-3,drop=0,wd=0.01 --transfer attn,everything
run --budget 10000x64 --seeds 0 --warmup set:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01 --transfer attn
