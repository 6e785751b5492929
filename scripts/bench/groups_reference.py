#!/usr/bin/env python3
"""Vectorized NumPy anchor for the per-group benchmark (Fairlearn is not installed):
reads a predictions CSV (label,sex,race,score,pred) with numpy.loadtxt (C parser) and computes,
for each sensitive column and for their intersection, per-group counts, confusion-matrix cells,
selection rate, accuracy, TPR, FPR and mean log loss with numpy.unique(return_inverse) +
numpy.bincount (no Python loop over rows). Prints one JSON line: read and metrics CPU seconds.

Usage: groups_reference.py PREDICTIONS.csv
"""
import json
import sys
import time

import numpy as np


def group_metrics(codes, k, y, p, loss):
    n = np.bincount(codes, minlength=k).astype(np.float64)
    tp = np.bincount(codes, weights=(y == 1) & (p == 1), minlength=k)
    fp = np.bincount(codes, weights=(y == 0) & (p == 1), minlength=k)
    fn = np.bincount(codes, weights=(y == 1) & (p == 0), minlength=k)
    tn = n - tp - fp - fn
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "n": n, "selection_rate": (tp + fp) / n, "accuracy": (tp + tn) / n,
            "tpr": tp / (tp + fn), "fpr": fp / (fp + tn),
            "log_loss": np.bincount(codes, weights=loss, minlength=k) / n,
        }


def main():
    path = sys.argv[1]
    c0, t0 = time.process_time(), time.perf_counter()
    rows = np.loadtxt(path, delimiter=",", skiprows=1, dtype=[("label", "i1"), ("sex", "U8"), ("race", "U8"), ("score", "f8"), ("pred", "i1")])
    label, sex, race, score, pred = rows["label"], rows["sex"], rows["race"], rows["score"], rows["pred"]
    read_cpu, read_wall = time.process_time() - c0, time.perf_counter() - t0
    c0, t0 = time.process_time(), time.perf_counter()
    p1 = np.clip(score, 1e-15, 1 - 1e-15)
    loss = -np.where(label == 1, np.log(p1), np.log1p(-p1))
    out = {}
    sex_values, sex_codes = np.unique(sex, return_inverse=True)
    race_values, race_codes = np.unique(race, return_inverse=True)
    out["sex"] = group_metrics(sex_codes, len(sex_values), label, pred, loss)
    out["race"] = group_metrics(race_codes, len(race_values), label, pred, loss)
    inter = sex_codes * len(race_values) + race_codes
    out["sex x race"] = group_metrics(inter, len(sex_values) * len(race_values), label, pred, loss)
    metrics_cpu, metrics_wall = time.process_time() - c0, time.perf_counter() - t0
    print(json.dumps({"rows": int(label.size), "read_cpu_s": read_cpu, "read_wall_s": read_wall,
                      "metrics_cpu_s": metrics_cpu, "metrics_wall_s": metrics_wall,
                      "groups": int(sum(len(v["n"]) for v in out.values()))}))


if __name__ == "__main__":
    main()
