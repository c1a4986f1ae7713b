#!/usr/bin/env bash
# bench/gpu.sh: the encode bench on the GPU and on the CPU side by side, then the index bench with
# the encoder on the GPU. For a machine with an accelerator; UNTESTED so far (no GPU machine was
# available when it was written: run it and put the numbers in docs/gpu.md).
#
#   bash bench/gpu.sh [webgpu|cuda]      (default webgpu: onnxruntime-node bundles it; cuda needs
#                                         `npm run cuda:install` or ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node)
#
# Writes every output to $OUT (default bench/.data/gpu-<time>) and prints the tables side by side.
# The ViT-B/32-shaped graph is used when bench/.data/vit-b32 exists (bench/make-vit-b32.py; carry it
# to the GPU machine if that one has no torch), else only the bundled model runs.
set -euo pipefail
cd "$(dirname "$0")/.."
GPU="${1:-webgpu}"
OUT="${OUT:-bench/.data/gpu-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"

{
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: not found"
  node -e "const o=require('onnxruntime-node'); console.log('onnxruntime-node', o.env.versions.node)"
} | tee "$OUT/machine.txt"

# Does the provider start at all? model info says which provider really ran.
if ! node bin/clipdex.js model info --device "$GPU" --threads 1 >"$OUT/model-info-$GPU.txt" 2>&1; then
  echo "the $GPU provider did not start; see $OUT/model-info-$GPU.txt"
  cat "$OUT/model-info-$GPU.txt"
  exit 1
fi
grep -E '^provider' "$OUT/model-info-$GPU.txt"

npx tsx bench/encode.ts --device cpu --repeats 7 >"$OUT/encode-cpu.txt" 2>&1
npx tsx bench/encode.ts --device "$GPU" --repeats 7 >"$OUT/encode-$GPU.txt" 2>&1
echo
echo "=== bench/encode: cpu (left) | $GPU (right) ==="
pr -m -t -w 220 "$OUT/encode-cpu.txt" "$OUT/encode-$GPU.txt"

VIT=0
[ -f bench/.data/vit-b32/onnx/vision_model.onnx ] && VIT=24
npx tsx bench/index.ts --device "$GPU" --images 120 --vit-images "$VIT" --runs 3 >"$OUT/index-$GPU.txt" 2>&1
echo
echo "=== bench/index, encoder on $GPU ==="
cat "$OUT/index-$GPU.txt"
echo
echo "outputs in $OUT"
