#!/usr/bin/env python3
"""A BERT-base-size text classifier with random weights, for the realistic-size benchmarks.

12 layers, hidden 768, 12 heads, FFN 3072, vocabulary 30522, learned positions (512): about 109M
parameters (~437 MB of float32). The attention is written out (MatMul -> Div -> Add -> Softmax ->
MatMul) like the demo transformer, so the attention analysis finds it. Random weights (seed 14):
the benchmarks time the pipeline, not the model's quality.

Writes, into OUT (default .bench-models/bert-base, git-ignored; not committed: it is large):
  bert-base.onnx, rows.jsonl (N rows: text ids, tokens, label, identity, identity span, at most
  T tokens), bert-base.bias.json (the spec), and skips the export when the model already exists.

Usage: python3 scripts/bench/make_bert.py [--out DIR] [--rows N] [--max-len T]
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
from torch import nn

VOCAB, D, HEADS, LAYERS, FFN, MAX_POS = 30522, 768, 12, 12, 3072, 512
IDENTITIES = ["none", "muslim", "gay", "black", "christian", "straight", "white"]


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.h, self.dh = HEADS, D // HEADS
        self.q, self.k, self.v, self.o = (nn.Linear(D, D) for _ in range(4))

    def forward(self, x, key_mask_add):
        b, t = x.size(0), x.size(1)
        q = self.q(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        k = self.k(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        v = self.v(x).reshape(b, t, self.h, self.dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dh)
        scores = scores + key_mask_add
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, D)
        return self.o(ctx)


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = Attention()
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.ff = nn.Sequential(nn.Linear(D, FFN), nn.GELU(), nn.Linear(FFN, D))

    def forward(self, x, key_mask_add):
        x = self.ln1(x + self.attn(x, key_mask_add))  # post-LN, as BERT
        return self.ln2(x + self.ff(x))


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, D)
        self.pos = nn.Embedding(MAX_POS, D)
        self.ln = nn.LayerNorm(D)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.pool = nn.Linear(D, D)
        self.head = nn.Linear(D, 2)

    def forward(self, input_ids, attention_mask):
        maskf = attention_mask.to(torch.float32)
        key_mask_add = (1.0 - maskf[:, None, None, :]) * -1e4
        t = input_ids.size(1)
        x = self.ln(self.tok(input_ids) + self.pos(torch.arange(t)[None, :]))
        for layer in self.layers:
            x = layer(x, key_mask_add)
        return self.head(torch.tanh(self.pool(x[:, 0])))


def rows(n, max_len, rng):
    words = [f"w{i}" for i in range(VOCAB - 10)]
    out = []
    for _ in range(n):
        identity = IDENTITIES[int(rng.integers(len(IDENTITIES)))]
        length = int(rng.integers(max(4, max_len // 3), max_len))  # [CLS] + length - 1 words
        ids = [2] + [int(x) + 10 for x in rng.integers(0, VOCAB - 10, length - 1)]
        span = []
        if identity != "none":
            at = int(rng.integers(1, length))
            ids[at] = 3 + IDENTITIES.index(identity)
            span = [at]
        tokens = ["[CLS]"] + [words[i - 10] if i >= 10 else f"[ID{i}]" for i in ids[1:]]
        out.append({"ids": ids, "tokens": tokens, "label": int(rng.integers(2)), "identity": identity,
                    "identity_span": span})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", ".bench-models", "bert-base"))
    ap.add_argument("--rows", type=int, default=512)
    ap.add_argument("--max-len", type=int, default=32)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    model_path = os.path.join(a.out, "bert-base.onnx")
    if not os.path.exists(model_path):
        torch.manual_seed(14)
        model = Bert().eval()
        for p in model.parameters():  # BERT's initializer range
            if p.dim() > 1:
                nn.init.normal_(p, std=0.02)
        ids = torch.randint(10, VOCAB, (2, 8))
        mask = torch.ones(2, 8, dtype=torch.int64)
        tmp = model_path + ".tmp"
        with torch.no_grad():
            torch.onnx.export(model, (ids, mask), tmp, input_names=["input_ids", "attention_mask"],
                              output_names=["logits"], opset_version=14, do_constant_folding=True,
                              dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                            "attention_mask": {0: "batch", 1: "sequence"}, "logits": {0: "batch"}})
        os.replace(tmp, model_path)
        params = sum(p.numel() for p in model.parameters())
        print(f"wrote {model_path}: {params:,} parameters, {os.path.getsize(model_path) / 1e6:.0f} MB", file=sys.stderr)
    data_path = os.path.join(a.out, f"rows-{a.rows}-{a.max_len}.jsonl")
    with open(data_path, "w", encoding="utf-8") as f:
        for r in rows(a.rows, a.max_len, np.random.default_rng(14)):
            f.write(json.dumps(r) + "\n")
    spec = {
        "model": "bert-base.onnx", "data": os.path.basename(data_path),
        "inputs": {"input_ids": {"column": "ids"}}, "output": "logits", "outputKind": "logits",
        "task": "binary", "label": "label", "groups": ["identity"], "loss": "cross_entropy",
        "attention": {"tokens": "tokens", "spans": {"identity": "identity_span"}},
    }
    spec_path = os.path.join(a.out, f"bert-base-{a.rows}-{a.max_len}.bias.json")
    with open(spec_path, "w", encoding="utf-8") as f:
        json.dump(spec, f, indent=2)
    print(spec_path)


if __name__ == "__main__":
    main()
