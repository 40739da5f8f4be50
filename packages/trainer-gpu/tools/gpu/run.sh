#!/usr/bin/env bash
# Runs on the GPU machine (no Node.js, no network), from the repo root, with .gpu-carry/ built by
# prepare.sh carried along:  bash packages/trainer-gpu/tools/gpu/run.sh [gpu-bench flags]
# Unpacks the carried Node, points the carried Vulkan loader at the NVIDIA Vulkan driver, prints the
# adapter, checks loss/gradients against the cpu backend, times training steps at the issue's shapes.
# Flags go to gpu-bench.mjs: --shapes issue|tiny|size:T:B:V,...  --budget <s per shape>  --backend webgpu|cpu
# Env: VK_ICD_FILENAMES (kept when set, e.g. Mesa lavapipe for a CPU test), PROCPT_DAWN_FLAGS (Dawn toggles),
# RUN_TIMEOUT (seconds, default 480), OUT (gpu-bench writes webgpu-bench.json there when set).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$here/node.xz" ]; then carry="$here"; else carry="$(cd "$here/../../../.." && pwd)/.gpu-carry"; fi
if [ ! -f "$carry/node.xz" ] || [ ! -f "$carry/gpu-bench.mjs" ]; then
  echo "run.sh: $carry is missing or incomplete: run packages/trainer-gpu/tools/gpu/prepare.sh on a machine with Node first, and carry .gpu-carry" >&2
  exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Node: xz when present, else Python's lzma (the GPU machine has Python for PyTorch).
if command -v xz >/dev/null 2>&1; then
  xz -dc "$carry/node.xz" > "$tmp/node"
else
  python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$carry/node.xz" "$tmp/node"
fi
chmod +x "$tmp/node"
echo "run: node $("$tmp/node" --version) unpacked"

export LD_LIBRARY_PATH="$carry/sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$tmp}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/run: nvidia-smi: /'

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
      echo "run: no NVIDIA Vulkan driver found (no nvidia_icd.json, no libGLX_nvidia.so.0): the container may lack the 'graphics' driver capability" >&2
      ls /usr/lib/x86_64-linux-gnu/ 2>/dev/null | grep -E 'nvidia|^libcuda' | head -20 | sed 's/^/run:   have: /' >&2
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
timeout "${RUN_TIMEOUT:-480}" "$tmp/node" gpu-bench.mjs "$@"
rc=$?
[ "$rc" = 124 ] && echo "run: gpu-bench timed out after ${RUN_TIMEOUT:-480} s" >&2
exit "$rc"
