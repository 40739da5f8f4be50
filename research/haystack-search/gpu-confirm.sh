#!/usr/bin/env bash
# Issue 10: confirm the screened warm-up recipes at the paper's full haystack budget (10,000 steps x batch
# 1,000) on one GPU, in one short device call (19 runs took 443 s on an H200).
# Every (recipe, seed) is its own screen.py process; JOBS of them share the GPU (the 2_4_16 model is tiny,
# one process leaves the GPU mostly idle). Where the machine allows it, CUDA MPS lets their kernels overlap.
# Outputs in $OUT (or results/ without $OUT): gpu-confirm.jsonl (one JSON line per finished fine-tune),
# gpu-progress.log (each run's haystack accuracy at every quarter of the budget, so a run cut off by
# DEADLINE still says where it was), then the summary table on stdout.
# Usage (device tool): bash research/haystack-search/gpu-confirm.sh   (RECIPES_FILE=my.txt: your own list, below)
# Smoke test here: SMOKE=1 BUDGET=10x16 DEVICE=cpu JOBS=2 SEEDS=0 OUT=/tmp/gc bash gpu-confirm.sh
# (PYTHON: an interpreter with torch, default python3 on PATH; see research/README.md)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${OUT:-$here/results}"
mkdir -p "$out"
budget="${BUDGET:-10000x1000}"
device="${DEVICE:-cuda}"
jobs="${JOBS:-17}"
deadline="${DEADLINE:-470}"     # seconds; then every run still going is stopped (its progress is logged)
py="${PYTHON:-python3}"
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"

# CUDA MPS: many small processes on one GPU run their kernels side by side instead of taking turns.
# Optional: if the daemon does not start or a client cannot use it, it is stopped and the runs take turns.
if [ "$device" = cuda ] && [ -z "${NO_MPS:-}" ] && command -v nvidia-cuda-mps-control >/dev/null; then
  export CUDA_MPS_PIPE_DIRECTORY=/tmp/mps-pipe CUDA_MPS_LOG_DIRECTORY=/tmp/mps-log
  mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
  if nvidia-cuda-mps-control -d && timeout 60 "$py" -c "import torch; assert torch.ones(4, device='cuda').sum().item() == 4"; then
    echo "MPS on"
  else
    echo "MPS unavailable: the runs take turns on the GPU"
    echo quit | timeout 10 nvidia-cuda-mps-control || true
    unset CUDA_MPS_PIPE_DIRECTORY CUDA_MPS_LOG_DIRECTORY
  fi
else
  echo "MPS not used"
fi

# warm-up|transfer|seeds, longest first (xargs starts them in this order). The 2026-11-27 call (results/
# gpu-confirm.jsonl, docs/reproduction.md) ran Delete seeds 0-9, 4-Dyck and the baseline seeds 0-1, the 64-Dyck
# curriculum seeds 0-1 and Delete at ctx=100 with attn+wpe seeds 0-2; its second call stopped Delete seeds
# 10-19 at half the budget. This list goes on from there:
# - the paper's 64-Dyck with its length curriculum, 20,000 steps (it stalled at length 26 and 10 in 16,000);
# - Delete V = 100, L = 16 (HAYSTACK_DELETE_RECIPE), seeds 10-19 to the end of the budget;
# - the mastered 4-Dyck and the baseline, more seeds.
# EXTRA=1 adds the calibration "oracle" (a haystack-solving warm-up), Set and Identity (the paper's
# attention-only rows), 4-Dyck at L = 128, 16-Dyck and the refuted ctx=100 lead.
recipes=(
  "dyck:k=64,L=128,steps=20000,lr=3e-3,drop=0,wd=0.01,cur=2|attn|2 3"
  "delete:V=100,L=16,steps=6000,lr=3e-3,drop=0,wd=0.01|attn|10 11 12 13 14 15 16 17 18 19"
  "dyck:k=4,L=64,steps=4000,lr=3e-3,drop=0,wd=0.01|attn|2 3"
  "none|-|2 3 4"
)
if [ -n "${EXTRA:-}" ]; then
  recipes+=(
    "haystack:steps=11000,B=250,lr=1e-3,drop=0,wd=0.001,cur=1,thr=0.9|everything,attn|0 1 2"
    "set:V=100,L=64,steps=3000,lr=3e-3,drop=0,wd=0.01|attn|0 1 2"
    "identity:V=100,L=16,steps=3000,lr=3e-3,drop=0,wd=0.01|attn|0 1 2"
    "dyck:k=4,L=128,steps=4000,lr=3e-3,drop=0,wd=0.01|everything,attn|0 1 2"
    "dyck:k=16,L=128,steps=6000,lr=3e-3,drop=0,wd=0.01|everything,attn|0 1 2"
    "delete:V=100,L=16,ctx=100,steps=20000,lr=3e-3,drop=0,wd=0.01|attn+wpe|0 1 2"
  )
fi
# RECIPES_FILE=path: run these lines (warm-up|transfer|seeds, as above; # starts a comment) instead
if [ -n "${RECIPES_FILE:-}" ]; then
  mapfile -t recipes < <(grep -v '^[[:space:]]*\(#\|$\)' "$RECIPES_FILE")
fi
# SMOKE=1: 10-step warm-ups, to check the script end to end on a CPU in seconds
if [ -n "${SMOKE:-}" ]; then
  mapfile -t recipes < <(printf '%s\n' "${recipes[@]}" | sed -E 's/steps=[0-9]+/steps=10/')
fi
list="$out/gpu-confirm.jobs"
: > "$list"
for r in "${recipes[@]}"; do
  IFS="|" read -r warmup transfer rseeds <<< "$r"
  for s in ${SEEDS:-$rseeds}; do echo "$warmup|$transfer|$s" >> "$list"; done   # SEEDS overrides every recipe's
done
echo "$(wc -l < "$list") jobs, budget $budget, device $device, $jobs at once, deadline $deadline s"
start=$(date +%s)
export here budget device py
# timeout signals its whole process group: every screen.py still running stops at the deadline
# shellcheck disable=SC2016
timeout "$deadline" xargs -P "$jobs" -I{} bash -c '
  IFS="|" read -r warmup transfer seed <<< "{}"
  args=(--warmup "$warmup" --budget "$budget" --seeds "$seed" --device "$device")
  [ "$transfer" != "-" ] && args+=(--transfer "$transfer")
  OMP_NUM_THREADS=1 "$py" "$here/screen.py" "${args[@]}" 2> >(sed -u "s|^|[$warmup $transfer s$seed] |" >&2)
' < "$list" 2> "$out/gpu-progress.log" | tee "$out/gpu-confirm.jsonl" || echo "stopped at the deadline ($deadline s)"
echo "wall $(( $(date +%s) - start )) s"
grep -h "haystack" "$out/gpu-progress.log" | sort -t']' -k1,1 -s || true
grep -hiv "haystack\|\"step\"" "$out/gpu-progress.log" | tail -20 || true
"$py" "$here/summarize.py" "$out/gpu-confirm.jsonl" || true
