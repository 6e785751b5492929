#!/usr/bin/env bash
# GPU check: a forward pass of every demo model on the WebGPU and the CPU provider with the same
# seeded inputs, printing session-creation time, run time and the max relative difference.
# Run on a machine with an NVIDIA GPU (Linux: WebGPU goes through Vulkan, so libvulkan1 and the
# NVIDIA ICD must be present). Usage: bash scripts/device-check.sh [node-binary]
set -uo pipefail
cd "$(dirname "$0")/.."
NODE=${1:-node}
[ -f dist/cli.js ] || { echo "dist/cli.js missing: run npm run build first" >&2; exit 1; }
echo "node $($NODE --version), $(uname -m), $(nproc) cores"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
ldconfig -p | grep -q libvulkan.so.1 || echo "warning: libvulkan.so.1 not found: the WebGPU provider will fall back to CPU" >&2
status=0
for model in examples/*.onnx; do
  for batch in 8 256; do
    echo "--- $model (batch $batch)"
    $NODE dist/cli.js forward "$model" --compare-ep webgpu,cpu --batch "$batch" --seq 64 || status=1
  done
done
# Attention maps of the demo transformer on WebGPU vs CPU (issue #5): within 1e-4, and the command
# fails (exit 1) when the WebGPU session does not actually run on WebGPU (no silent CPU fallback).
echo "--- attention maps: examples/tiny-transformer.bias.json (webgpu vs cpu, 32 rows)"
$NODE dist/cli.js attention --spec examples/tiny-transformer.bias.json --compare-ep webgpu,cpu --samples 32 || status=1
exit $status
