#!/usr/bin/env bash
# The first GPU call, as one script: on the GPU machine (no Node.js, no network), from the repo root, with
# .gpu-carry/ (built by prepare.sh) carried along:
#   bash packages/trainer-gpu/tools/gpu/run.sh            (device `run` tool: carry [".gpu-carry"], timeout_s 600)
# Steps, each under its own timeout and skipped when the overall deadline is near, so a cut-off call still
# returns everything measured so far:
#   1. machine facts (facts.txt): Vulkan ICD manifests, libGLX_nvidia/libEGL_nvidia, libcuda, libnvrtc,
#      libcublas(Lt) and their versions, nvidia-smi, PyTorch/CUDA; then the WebGPU adapter, limits, features
#   2. correctness: loss and gradients of the issue shapes' models vs the cpu backend, fused and composite
#   3. per shape (haystack 2_4_16 T63 B1000, 2_4_128 T128 B16, GPT-2 small T1024 B32): webgpu with the fused
#      WGSL kernels, the PyTorch peer (torch_peer.py, same shape, same card), webgpu with tfjs's composite ops
#   4. a per-kernel GPU-time profile of one step (haystack and GPT-2 small, fused)
#   5. the study's full-budget haystack fine-tune (paper preset: 10,000 x 1,000) on webgpu until the deadline:
#      steps done and the projected full-budget time
#   6. summary.md: the table with every ratio to PyTorch measured in this call
# Everything lands in $OUT (results.jsonl, facts.txt, run.log, summary.md).
# Flags: --shapes issue|tiny --checks issue|tiny --budget <s per timing> --study-preset paper|tiny
#        --study-seconds <s> --no-composite --no-study --no-profile
# Env: DEADLINE (s for the whole script, default 540), VK_ICD_FILENAMES (kept when set, e.g. lavapipe for the
# dry run), PROCPT_DAWN_FLAGS (Dawn toggles), PYTHON (default python3), OUT (default ./gpu-run-out).
set -uo pipefail
started=$(date +%s)
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/node.xz" ]; then carry="$here"; else carry="$(cd "$here/../../../.." && pwd)/.gpu-carry"; fi
if [ ! -f "$carry/node.xz" ] || [ ! -f "$carry/gpu-bench.mjs" ]; then
  echo "run.sh: $carry is missing or incomplete: run packages/trainer-gpu/tools/gpu/prepare.sh on a machine with Node first, and carry .gpu-carry" >&2
  exit 2
fi
SHAPES=issue CHECKS=issue BUDGET=15 STUDY_PRESET=paper STUDY_SECONDS=240 COMPOSITE=1 STUDY=1 PROFILE=1
while [ $# -gt 0 ]; do
  case "$1" in
    --shapes) SHAPES="$2"; shift 2 ;;
    --checks) CHECKS="$2"; shift 2 ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --study-preset) STUDY_PRESET="$2"; shift 2 ;;
    --study-seconds) STUDY_SECONDS="$2"; shift 2 ;;
    --no-composite) COMPOSITE=0; shift ;;
    --no-study) STUDY=0; shift ;;
    --no-profile) PROFILE=0; shift ;;
    *) echo "run.sh: unknown flag $1" >&2; exit 2 ;;
  esac
done
DEADLINE="${DEADLINE:-540}"
RESERVE=15 # seconds kept for the summary
PYTHON="${PYTHON:-python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export OUT="${OUT:-$PWD/gpu-run-out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
tee_pid=$!

left() { echo $((DEADLINE - ($(date +%s) - started))); }
# step NAME MAX MIN CMD...: runs CMD under `timeout min(MAX, time left - RESERVE)` when at least MIN seconds are left
step() {
  local name="$1" max="$2" min="$3"
  shift 3
  local avail=$(($(left) - RESERVE))
  if [ "$avail" -lt "$min" ]; then
    echo "run: SKIPPED $name: ${avail} s left before the deadline"
    echo "{\"kind\":\"skipped\",\"step\":\"$name\",\"secondsLeft\":$avail}" >> "$OUT/results.jsonl"
    return 0
  fi
  local limit=$((max < avail ? max : avail))
  local t0=$(date +%s)
  echo "run: == $name (timeout ${limit} s, $(left) s left)"
  timeout --kill-after=5 "$limit" "$@"
  local rc=$?
  [ "$rc" = 124 ] && echo "run: TIMEOUT $name after ${limit} s" && echo "{\"kind\":\"timeout\",\"step\":\"$name\",\"seconds\":$limit}" >> "$OUT/results.jsonl"
  echo "run: $name done in $(($(date +%s) - t0)) s (exit $rc)"
  return 0
}

# Node: xz when present, else Python's lzma (the GPU machine has Python for PyTorch).
if command -v xz >/dev/null 2>&1; then
  xz -dc "$carry/node.xz" > "$tmp/node"
else
  "$PYTHON" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$carry/node.xz" "$tmp/node"
fi
chmod +x "$tmp/node"
NODE="$tmp/node"
echo "run: node $("$NODE" --version) unpacked in $(($(date +%s) - started)) s; deadline ${DEADLINE} s; OUT=$OUT"

export LD_LIBRARY_PATH="$carry/sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$tmp}"

# 1. Machine facts: what the machine offers a Node program (Vulkan ICD, NVIDIA user-space libraries, CUDA).
find_lib() { # every file named $1* in the loader cache, the usual driver/CUDA folders and Python's nvidia wheels
  {
    ldconfig -p 2>/dev/null | awk -v n="$1" 'index($1, n) == 1 {print $NF}'
    for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/cuda*/lib64 /usr/local/cuda*/lib /usr/local/cuda*/targets/x86_64-linux/lib $PY_LIBS; do
      [ -d "$d" ] && find "$d" -maxdepth 4 -name "$1*" 2>/dev/null
    done
  } | sort -u | while read -r f; do echo "  $f -> $(readlink -f "$f")"; done
}
{
  echo "== machine"; uname -srm; grep -E '^(PRETTY_NAME)=' /etc/os-release 2>/dev/null; echo "cpus $(nproc)"
  echo "== nvidia-smi"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,pci.bus_id --format=csv,noheader
    nvidia-smi | grep -m1 'CUDA Version'
  else
    echo "  no nvidia-smi"
  fi
  echo "== device nodes"; ls /dev/nvidia* /dev/dri 2>/dev/null | tr '\n' ' '; echo
  echo "== container driver capabilities: NVIDIA_DRIVER_CAPABILITIES=${NVIDIA_DRIVER_CAPABILITIES:-unset} NVIDIA_VISIBLE_DEVICES=${NVIDIA_VISIBLE_DEVICES:-unset}"
  echo "== Vulkan ICD manifests"
  for f in /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json; do
    [ -f "$f" ] && echo "  $f: $(tr -d '\n ' < "$f")"
  done
  PY_LIBS="$("$PYTHON" -c 'import os, site; print(" ".join(os.path.join(p, s) for p in site.getsitepackages() for s in ("nvidia", "torch/lib") if os.path.isdir(os.path.join(p, s))))' 2>/dev/null)"
  for lib in libGLX_nvidia.so libEGL_nvidia.so libnvidia-glcore.so libnvidia-glvkspirv.so libcuda.so libnvidia-ptxjitcompiler.so libnvrtc.so libnvrtc-builtins.so libcublas.so libcublasLt.so libcudart.so; do
    echo "== $lib"; find_lib "$lib"
  done
  echo "== PyTorch"
  "$PYTHON" -c 'import torch; c = torch.cuda.is_available(); print("torch", torch.__version__, "cuda", torch.version.cuda, "available", c, torch.cuda.get_device_name(0) if c else "", "cudnn", torch.backends.cudnn.version())' 2>&1
} > "$OUT/facts.txt" 2>&1
cat "$OUT/facts.txt"

# The NVIDIA Vulkan ICD: its manifest when the driver installed one, else one written here for the
# driver's libGLX_nvidia.so.0 (containers often mount the library without the manifest).
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  icd=""
  for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json /usr/local/share/vulkan/icd.d/nvidia_icd*.json; do
    if [ -f "$f" ]; then icd="$f"; break; fi
  done
  if [ -z "$icd" ]; then
    lib="$( (ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 / {print $NF; exit}') || true)"
    if [ -z "$lib" ]; then
      for d in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib; do
        if [ -f "$d/libGLX_nvidia.so.0" ]; then lib="$d/libGLX_nvidia.so.0"; break; fi
      done
    fi
    if [ -n "$lib" ]; then
      icd="$tmp/nvidia_icd.json"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" > "$icd"
      echo "run: no NVIDIA Vulkan manifest installed; wrote one for $lib"
    else
      echo "run: no NVIDIA Vulkan driver found (no nvidia_icd.json, no libGLX_nvidia.so.0): the container may lack the 'graphics' driver capability"
    fi
  fi
  if [ -n "$icd" ]; then
    export VK_ICD_FILENAMES="$icd" VK_DRIVER_FILES="$icd"
    echo "run: Vulkan ICD $icd: $(tr -d '\n ' < "$icd")"
  fi
else
  echo "run: Vulkan ICD from the environment: $VK_ICD_FILENAMES"
fi

cd "$carry"
step "webgpu facts" 60 10 "$NODE" gpu-bench.mjs facts
if grep -q '"kind":"facts"' "$OUT/results.jsonl" 2>/dev/null; then
  # 2. correctness, fused and composite
  step "checks" 150 30 "$NODE" gpu-bench.mjs check --checks "$CHECKS"
  # 3. speed per shape: fused, PyTorch, composite
  "$NODE" gpu-bench.mjs shapes --shapes "$SHAPES" > "$tmp/shapes"
  while read -r name size T B V; do
    step "webgpu $name fused" 90 20 "$NODE" gpu-bench.mjs time --shape "$name" --fused on --budget "$BUDGET"
    step "pytorch $name" 90 20 "$PYTHON" torch_peer.py "$name" "$size" "$T" "$B" "$V" "$BUDGET"
    [ "$COMPOSITE" = 1 ] && step "webgpu $name composite" 90 20 "$NODE" gpu-bench.mjs time --shape "$name" --fused off --budget "$BUDGET"
  done < "$tmp/shapes"
  # 4. where the time goes
  if [ "$PROFILE" = 1 ]; then
    for name in $(awk 'NR == 1 {first = $1; print first} {last = $1} END {if (last != first) print last}' "$tmp/shapes"); do
      step "profile $name" 60 15 "$NODE" gpu-bench.mjs profile --shape "$name" --fused on
    done
  fi
  # 5. the study's full-budget haystack fine-tune until the deadline
  if [ "$STUDY" = 1 ]; then
    secs=$(($(left) - RESERVE - 20))
    [ "$secs" -gt "$STUDY_SECONDS" ] && secs="$STUDY_SECONDS"
    step "study haystack ($STUDY_PRESET)" $((secs + 15)) 40 "$NODE" study-haystack.mjs --preset "$STUDY_PRESET" --seconds "$secs" --out "$tmp/study"
  fi
else
  echo "run: no WebGPU adapter: the PyTorch peer alone (for the record), then the summary"
  "$NODE" gpu-bench.mjs shapes --shapes "$SHAPES" > "$tmp/shapes"
  while read -r name size T B V; do
    step "pytorch $name" 90 20 "$PYTHON" torch_peer.py "$name" "$size" "$T" "$B" "$V" "$BUDGET"
  done < "$tmp/shapes"
fi
# 6. the table
timeout 30 "$NODE" gpu-bench.mjs summary
echo "run: finished in $(($(date +%s) - started)) s"
# let tee write the last lines of run.log before $OUT is collected
exec 1>&- 2>&-
wait "$tee_pid" 2>/dev/null
