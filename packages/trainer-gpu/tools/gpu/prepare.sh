#!/usr/bin/env bash
# Builds .gpu-carry/ at the repo root (git-ignored) for a GPU machine that has neither Node.js nor network:
#   node.xz                    this machine's Node binary (process.execPath), xz-compressed
#   gpu-bench.mjs              tools/gpu/gpu-bench.ts bundled by esbuild (tfjs-core, cpu + webgpu backends,
#                              Dawn's JS shim, @procpt/model, the trainer's step/AdamW and the WGSL kernels inlined)
#   study-haystack.mjs         tools/gpu/study-haystack.ts bundled the same way (@procpt/study and its packages)
#   node_modules/…/package.json  stubs naming the two optional webgpu packages (bundled, but selectBackend
#                              checks that they are installed)
#   torch_peer.py              the PyTorch peer (the GPU machine has PyTorch)
#   dist/linux-x64/dawn.node   Dawn's Node addon, where the bundled `webgpu` shim looks for it
#   sysroot/                   Debian libvulkan1, libegl1, libglvnd0 unpacked (the Vulkan loader and the
#                              GL dispatch library the NVIDIA Vulkan ICD links against)
#   run.sh                     copy of tools/gpu/run.sh
# Then, on the GPU machine: `bash packages/trainer-gpu/tools/gpu/run.sh` with carry [".gpu-carry"].
# Needs: pnpm install done, xz, apt-get (Debian/Ubuntu, x86-64). The whole folder must stay under 64 MiB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
pkg="$root/packages/trainer-gpu"
out="$root/.gpu-carry"
limit=$((64 * 1024 * 1024))

if [ "$(uname -m)" != x86_64 ]; then echo "prepare.sh: x86-64 only (the GPU machine is x86-64)" >&2; exit 2; fi
dawn_node="$(cd "$pkg" && node -e "const p=require('path');console.log(p.join(p.dirname(require.resolve('webgpu/package.json')),'dist','linux-x64','dawn.node'))")"
if [ ! -f "$dawn_node" ]; then
  echo "prepare.sh: $dawn_node missing: run pnpm install (webgpu is a devDependency of @procpt/trainer-gpu)" >&2
  exit 2
fi

rm -rf "$out"
mkdir -p "$out/dist/linux-x64" "$out/sysroot"

# @procpt/* resolve to their sources, as in the tests; optional or unused backends stay out.
aliases=()
for dir in "$root"/packages/*/; do
  name="$(basename "$dir")"
  aliases+=("--alias:@procpt/$name=$dir/src/index.ts")
done
for tool in gpu-bench study-haystack; do
  echo "prepare: bundling $tool.mjs"
  (cd "$pkg" && pnpm exec esbuild "$here/$tool.ts" --bundle --platform=node --format=esm --target=node20 \
    "${aliases[@]}" \
    --external:@procpt/backend-native --external:@tensorflow/tfjs-backend-wasm \
    --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --log-level=warning --outfile="$out/$tool.mjs")
done
for stub in @tensorflow/tfjs-backend-webgpu:4.22.0 webgpu:0.6.2; do
  mkdir -p "$out/node_modules/${stub%:*}"
  printf '{"name":"%s","version":"%s","description":"stub: bundled into the .mjs files next to node_modules"}\n' \
    "${stub%:*}" "${stub#*:}" > "$out/node_modules/${stub%:*}/package.json"
done
cp "$here/torch_peer.py" "$out/torch_peer.py"

echo "prepare: copying dawn.node and compressing $(node -p process.execPath) ($(node -p process.version))"
cp "$dawn_node" "$out/dist/linux-x64/dawn.node"
xz -T0 -6 -c "$(node -p process.execPath)" > "$out/node.xz"
cp "$here/run.sh" "$out/run.sh"

echo "prepare: fetching libvulkan1 libegl1 libglvnd0 (apt-get download)"
debs="$(mktemp -d)"
(cd "$debs" && apt-get download libvulkan1 libegl1 libglvnd0 >/dev/null 2>&1) || {
  echo "prepare.sh: apt-get download failed (run apt-get update first?)" >&2
  exit 2
}
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$out/sysroot"; done
rm -rf "$debs" "$out/sysroot/usr/share/doc" "$out/sysroot/usr/share/lintian"

size=$(du -sb "$out" | cut -f1)
echo "prepare: $out is $((size / 1024 / 1024)) MiB ($size bytes; limit 64 MiB):"
du -sh "$out"/* | sed 's/^/  /'
if [ "$size" -ge "$limit" ]; then echo "prepare.sh: over the 64 MiB carry limit" >&2; exit 1; fi
