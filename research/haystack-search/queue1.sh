#!/bin/sh
# First screening queue (CPU, one process at a time). Results: results/screen.jsonl
# PYTHON: an interpreter with torch (default: python3 on PATH; see research/README.md)
cd "$(dirname "$0")" && mkdir -p results
B=${BUDGET:-1000x250}; S=${SEEDS:-0,1}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
run() { nice -n 10 "${PYTHON:-python3}" screen.py --budget "$B" --seeds "$S" "$@" >> results/screen.jsonl; }
run --warmup none
run --warmup set:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01 --transfer attn,everything
run --warmup dyck:k=4,L=64,steps=4000,lr=3e-3,drop=0,wd=0.01 --transfer attn,everything
run --warmup identity:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01 --transfer attn
run --warmup dyck:k=16,L=128,steps=4000,lr=3e-3,drop=0,wd=0.01 --transfer attn
