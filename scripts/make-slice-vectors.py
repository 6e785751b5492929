#!/usr/bin/env python3
"""Reference vectors of the slice statistics (FORMULAS.md §E) from scipy/numpy.

    /usr/bin/python3 scripts/make-slice-vectors.py   # writes test/fixtures/slices/vectors.json

Student t CDF/quantiles (scipy.stats.t), Welch's test (scipy.stats.ttest_ind equal_var=False),
Wilson intervals (statsmodels' formula, written out: statsmodels is not installed), BH q-values
(statsmodels' fdr_bh algorithm, written out), numpy.quantile bin edges (method linear), and a
small dataset with the holdout statistics of given slices computed with numpy/scipy.
"""
import json
import os

import numpy as np
from scipy import stats

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(20261206)
out: dict = {}

out["t"] = [{"t": t, "df": df, "cdf": float(stats.t.cdf(t, df)), "twoSided": float(2 * stats.t.sf(abs(t), df))}
            for t, df in [(0.0, 1), (1.5, 3), (-2.2, 7.5), (3.1, 30), (0.3, 1000), (8.0, 12.25), (-0.7, 2.5)]]
out["tQuantile"] = [{"q": q, "df": df, "x": float(stats.t.ppf(q, df))}
                    for q, df in [(0.975, 1), (0.975, 4), (0.975, 29), (0.975, 511), (0.9, 3.3), (0.025, 10)]]

welch = []
for n1, n2, shift, kind in [(40, 300, 0.2, "binary"), (25, 25, 0.0, "float"), (5, 900, 1.5, "float"), (200, 2000, 0.05, "binary")]:
    if kind == "binary":
        a = (rng.random(n1) < 0.3 + shift).astype(float)
        b = (rng.random(n2) < 0.3).astype(float)
    else:
        a = rng.normal(shift, 1.3, n1)
        b = rng.normal(0, 0.8, n2)
    r = stats.ttest_ind(a, b, equal_var=False)
    welch.append({"a": a.tolist(), "b": b.tolist(), "t": float(r.statistic), "p": float(r.pvalue)})
out["welch"] = welch


def wilson(k: int, n: int, z: float = float(stats.norm.ppf(0.975))) -> list:
    p = k / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return [center - half, center + half]


out["z975"] = float(stats.norm.ppf(0.975))
out["wilson"] = [{"k": k, "n": n, "ci": wilson(k, n)} for k, n in [(0, 10), (3, 10), (10, 10), (137, 412), (1, 2000)]]


def bh(p: np.ndarray) -> list:
    order = np.argsort(p, kind="mergesort")
    m = len(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(q, 1)
    return res.tolist()


ps = [np.array([0.01, 0.04, 0.03, 0.2, 0.5]), np.array([0.001, 0.001, 0.9, 0.04]), rng.random(10) ** 3]
out["bh"] = [{"p": p.tolist(), "q": bh(p)} for p in ps]

edges = []
for x in [rng.normal(40, 9, 101).round(), np.arange(20.0), np.concatenate([np.zeros(50), rng.random(30)]), rng.lognormal(0, 1, 1000)]:
    e = np.quantile(x, np.arange(1, 8) / 8)
    edges.append({"x": x.tolist(), "edges": np.unique(e).tolist()})
out["edges"] = edges

# Holdout statistics: errors of odd rows; per slice (a mask over all rows), on the odd rows.
n = 4000
err01 = (rng.random(n) < 0.15).astype(float)
errf = rng.gamma(1.0, 0.5, n)
mask = rng.random(n) < 0.1
err01[mask] = (rng.random(mask.sum()) < 0.35).astype(float)
holdout = {"n": n, "mask": mask.astype(int).tolist(), "err01": err01.tolist(), "errFloat": errf.tolist()}
odd = np.arange(n) % 2 == 1
for key, e in [("binary", err01), ("float", errf)]:
    s = e[odd & mask]
    c = e[odd & ~mask]
    r = stats.ttest_ind(s, c, equal_var=False)
    if key == "binary":
        ci = wilson(int(s.sum()), len(s))
    else:
        h = stats.t.ppf(0.975, len(s) - 1) * s.std(ddof=1) / np.sqrt(len(s))
        ci = [s.mean() - h, s.mean() + h]
    holdout[key] = {"size": int(len(s)), "errorMean": float(s.mean()), "ci": [float(ci[0]), float(ci[1])],
                    "diff": float(s.mean() - c.mean()), "p": float(r.pvalue)}
out["holdout"] = holdout

path = os.path.join(REPO, "test", "fixtures", "slices", "vectors.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump(out, f)
    f.write("\n")
print("wrote", path)
