#!/usr/bin/env bash
# Issue 10: confirm the screened warm-up recipes at the paper's full haystack budget (10,000 steps x batch
# 1,000) with 3 seeds, on one GPU, in one short device call (about 5-8 minutes on an H100/H200).
# Every (recipe, seed) is its own screen.py process; JOBS of them share the GPU (the 2_4_16 model is tiny,
# one process leaves the GPU mostly idle). Results: one JSON line per fine-tune in $OUT/gpu-confirm.jsonl
# (or tools/haystack-search/results/gpu-confirm.jsonl without $OUT), then the summary table.
# Usage (device tool): bash tools/haystack-search/gpu-confirm.sh
# Smoke test here: SMOKE=1 BUDGET=10x16 DEVICE=cpu JOBS=2 SEEDS=0 OUT=/tmp/gc PYTHON=/usr/bin/python3 bash gpu-confirm.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/results}"
mkdir -p "$out"
budget="${BUDGET:-10000x1000}"
device="${DEVICE:-cuda}"
jobs="${JOBS:-12}"
seeds="${SEEDS:-0 1 2}"
py="${PYTHON:-python3}"
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

# recipe|transfer: the no-warm-up baseline; Delete at L = 16 (HAYSTACK_DELETE_RECIPE, the first warm-up that
# lifted haystack on the CPU: 2 of 5 PyTorch seeds and 1 of 5 procpt seeds at 10,000 x 250, PyTorch seed 0
# 98.8% at the full budget); the mastered
# 4-Dyck (closing-bracket accuracy 99.5%); the
# calibration "oracle" (a haystack-solving model, learned with a curriculum on the number of pairs: does the
# paper's transfer keep a solved circuit at the full budget?); the paper's own 64-Dyck learned with the length
# curriculum; Set and Identity (the paper's attention-only rows). EXTRA=1 adds 4-Dyck at L=128 (wpe copied
# by `everything`, as the paper's rule copies it when the warm-up context >= 100) and 16-Dyck.
recipes=(
  "none|-"
  "delete:V=100,L=16,steps=6000,lr=3e-3,drop=0,wd=0.01|attn,everything"
  "dyck:k=4,L=64,steps=4000,lr=3e-3,drop=0,wd=0.01|attn,everything"
  "haystack:steps=11000,B=250,lr=1e-3,drop=0,wd=0.001,cur=1,thr=0.9|everything,attn"
  "dyck:k=64,L=128,steps=16000,lr=3e-3,drop=0,wd=0.01,cur=2|attn,everything"
  "set:V=100,L=64,steps=3000,lr=3e-3,drop=0,wd=0.01|attn"
  "identity:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01|attn"
)
if [ -n "${EXTRA:-}" ]; then
  recipes+=(
    "dyck:k=4,L=128,steps=4000,lr=3e-3,drop=0,wd=0.01|everything,attn"
    "dyck:k=16,L=128,steps=6000,lr=3e-3,drop=0,wd=0.01|everything,attn"
  )
fi
# SMOKE=1: 10-step warm-ups, to check the script end to end on a CPU in seconds
if [ -n "${SMOKE:-}" ]; then
  mapfile -t recipes < <(printf '%s\n' "${recipes[@]}" | sed -E 's/steps=[0-9]+/steps=10/')
fi
list="$out/gpu-confirm.jobs"
: > "$list"
for r in "${recipes[@]}"; do
  for s in $seeds; do echo "${r%%|*}|${r##*|}|$s" >> "$list"; done
done
echo "$(wc -l < "$list") jobs, budget $budget, device $device, $jobs at once"
start=$(date +%s)
export here budget device py
# shellcheck disable=SC2016
xargs -P "$jobs" -I{} bash -c '
  IFS="|" read -r warmup transfer seed <<< "{}"
  args=(--warmup "$warmup" --budget "$budget" --seeds "$seed" --device "$device")
  [ "$transfer" != "-" ] && args+=(--transfer "$transfer")
  OMP_NUM_THREADS=1 "$py" "$here/screen.py" "${args[@]}"
' < "$list" | tee "$out/gpu-confirm.jsonl"
echo "wall $(( $(date +%s) - start )) s"
"$py" "$here/summarize.py" "$out/gpu-confirm.jsonl" || true
