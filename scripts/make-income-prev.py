#!/usr/bin/env python3
"""Second income checkpoint for the comparison demo (issue 12): examples/income-mlp-prev.onnx.

The "previous release" of examples/income-mlp.onnx: same architecture and training recipe, but
trained on every sex=F & race=B row, each seen FB_COPIES times (a fairness fix of its day). The
model never sees sex or race and F&B's label follows another rule, so that release is better for
F&B and worse for everyone else. Comparing the current model (the candidate, B) with it (the
baseline, A) is the demo of `bias-inspector compare`: B is better overall and significantly
worse for F&B (McNemar, BH q < 0.05).

Why the second model is the baseline and not a new candidate: the income features have the same
distribution in every group, so a model can only be worse for F&B than income-mlp by moving away
from the majority's rule, which costs the majority more than F&B gives back (checked with the
Bayes rule: at best p ≈ 0.04 before the multiple-test correction). The regression the demo shows
is the realistic one: a release that dropped most F&B rows from training.

Deterministic (seeded numpy and torch, one thread); run with /usr/bin/python3 (torch 1.13, onnx
from the OS packages). Reuses the data generator of scripts/make-examples.py.

Writes examples/income-mlp-prev.onnx and examples/income-compare.bias.json (the income spec with
`referenceModel`: income-mlp-prev.onnx; bootstrap 200; budgets that the candidate breaks).
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
from torch.nn import functional as F

FB_COPIES = 8
HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("make_examples", os.path.join(HERE, "make-examples.py"))
assert spec and spec.loader
mx = importlib.util.module_from_spec(spec)
sys.modules["make_examples"] = mx
spec.loader.exec_module(mx)


def mcnemar(b: int, c: int) -> float:
    n, m = b + c, min(b, c)
    if n == 0:
        return 1.0
    return min(1.0, 2 * sum(math.comb(n, k) for k in range(m + 1)) / 2 ** n)


def main() -> int:
    out = os.path.join(os.path.dirname(HERE), "examples")
    torch.set_num_threads(1)
    mx.seed_everything(11)
    # the same draws as make_income: training population, then the evaluation population
    rng = np.random.default_rng(11)
    train = mx.income_population(rng, 24000)
    rng.random(len(train["sex"]))  # make_income's draw that subsamples F&B (B drops all of them instead)
    evalset = mx.income_population(rng, 6000)
    meta = np.random.default_rng(1111)
    evalset["region"] = meta.choice(mx.INCOME_REGIONS, size=6000, p=mx.INCOME_REGION_P)
    evalset["device"] = meta.choice(mx.INCOME_DEVICES, size=6000, p=mx.INCOME_DEVICE_P)
    in_slice = (evalset["region"] == "W") & (evalset["device"] == "mobile")
    evalset["hours"] = np.where(in_slice, np.round(evalset["hours"] / 5, 1), evalset["hours"])
    # check against the committed CSV: the candidate must be evaluated on exactly those rows
    with open(os.path.join(out, "income.csv"), encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        rows = [line.strip().split(",") for line in f]
    for j, c in enumerate(mx.INCOME_FEATURES):
        col = np.array([float(r[header.index(c)]) for r in rows])
        assert np.allclose(col, evalset[c]), f"examples/income.csv column {c} is not what make-examples.py generates"

    # The previous release was trained on every F&B row, duplicated (a fairness fix of its time):
    # it is better for F&B and worse for everyone else, whose rule differs from F&B's.
    fb_train = (train["sex"] == "F") & (train["race"] == "B")
    dup = np.concatenate([np.arange(len(fb_train)), np.repeat(np.flatnonzero(fb_train), FB_COPIES - 1)])
    train = {k: v[dup] for k, v in train.items()}
    x_train = np.stack([train[c] for c in mx.INCOME_FEATURES], 1).astype(np.float32)
    y_train = torch.tensor(train["label"])
    torch.manual_seed(22)
    model = mx.IncomeMLP(x_train.mean(0), x_train.std(0))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt = torch.tensor(x_train)
    gen = torch.Generator().manual_seed(22)
    for _epoch in range(25):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 256):
            idx = perm[i:i + 256]
            loss = F.cross_entropy(model(xt[idx]), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()

    x_eval = np.stack([evalset[c] for c in mx.INCOME_FEATURES], 1).astype(np.float32)
    y = evalset["label"]
    with torch.no_grad():
        pred_b = model(torch.tensor(x_eval)).argmax(1).numpy()
    return finish(out, model, x_eval, y, pred_b, evalset)


def finish(out, model, x_eval, y, pred_b, evalset) -> int:
    with open(os.path.join(out, "income-predictions.csv"), encoding="utf-8") as f:
        f.readline()
        pred_a = np.array([int(line.strip().split(",")[-1]) for line in f])
    # here A = this script's model (the baseline), B = income-mlp (the candidate)
    pred_a, pred_b = pred_b, pred_a
    fails = mx.Failures()
    acc_a, acc_b = float((pred_a == y).mean()), float((pred_b == y).mean())
    print(f"== income-mlp-prev (A) vs income-mlp (B): overall accuracy A {acc_a:.4f} -> B {acc_b:.4f}")
    for s in ["F", "M"]:
        for r in ["A", "B", "C"]:
            m = (evalset["sex"] == s) & (evalset["race"] == r)
            broken = int(((pred_a == y) & (pred_b != y) & m).sum())
            fixed = int(((pred_a != y) & (pred_b == y) & m).sum())
            print(f"  {s}&{r} n={int(m.sum()):5d} acc A {(pred_a == y)[m].mean():.4f} B {(pred_b == y)[m].mean():.4f} "
                  f"broken {broken} fixed {fixed} McNemar p {mcnemar(broken, fixed):.3g}")
    fb = (evalset["sex"] == "F") & (evalset["race"] == "B")
    broken = int(((pred_a == y) & (pred_b != y) & fb).sum())
    fixed = int(((pred_a != y) & (pred_b == y) & fb).sum())
    fails.check(acc_b > acc_a, f"income-prev: the candidate's overall accuracy {acc_b:.4f} > the previous release's {acc_a:.4f}")
    fails.check(mcnemar(broken, fixed) * 11 < 0.05 and broken > fixed,
                f"income-prev: F&B broken {broken} vs fixed {fixed}, Bonferroni-adjusted McNemar p < 0.05 (so BH q is too)")
    doc = ("Model Bias Inspector demo: income MLP, previous release (every sex=F & race=B training row seen "
           f"{FB_COPIES} times). PLANTED: against it, income-mlp.onnx is better overall and significantly worse "
           "for F&B. Generated by scripts/make-income-prev.py.")
    x4 = torch.tensor(x_eval[:4])
    mx.export_onnx(model, (x4,), os.path.join(out, "income-mlp-prev.onnx"), ["features"], ["logits"],
                   {"features": {0: "batch"}, "logits": {0: "batch"}}, doc)
    with open(os.path.join(out, "income-mlp.bias.json"), encoding="utf-8") as f:
        base = json.load(f)
    compare = {**base, "referenceModel": "income-mlp-prev.onnx", "bootstrap": 200, "seed": 0,
               "budgets": [
                   {"figure": "compare.worseGroups", "max": 0},
                   {"figure": "compare.worstDelta.accuracy", "min": -0.05, "use": "interval"},
                   {"figure": "groups.disparity.equalized_odds_difference", "max": 0.5},
               ]}
    compare.pop("slices", None)
    mx.write_json(os.path.join(out, "income-compare.bias.json"), compare)
    return 1 if fails.items else 0


if __name__ == "__main__":
    sys.exit(main())
