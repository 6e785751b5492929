#!/usr/bin/env python3
"""Reference vectors of the threshold what-if (FORMULAS.md §F) computed by Fairlearn itself.

Fairlearn is not installed; its pure-Python source is imported from a checkout:

    git --git-dir=<mirror of github.com/fairlearn/fairlearn> archive HEAD fairlearn | tar -x -C /tmp/fl
    /usr/bin/python3 scripts/make-threshold-vectors.py --fairlearn /tmp/fl

(the vectors in test/fixtures/thresholds/ were made from fairlearn 0.15.0.dev0, commit ebf8fa75).
Fairlearn 0.15's `_tradeoff_curve_utilities.py` needs narwhals, which the OS does not package; with
`--pandas-curves FILE` the script swaps in the pandas-only file of the commit before narwhals
(81704459^, `git show 81704459^:fairlearn/postprocessing/_tradeoff_curve_utilities.py`): the same
algorithm (the narwhals port changed only the data-frame calls).

For every constraint × objective Fairlearn allows, ThresholdOptimizer(prefit=True,
predict_method="predict_proba", grid_size=1000, flip=False) is fitted on seeded scores/labels with
two sensitive columns (merged by Fairlearn into "a,b"); the vectors hold the interpolation per
group, and the expected selection rate / TPR / FPR / objective per group and overall from
Fairlearn's `_pmf_predict`. The relaxed front uses Fairlearn's `maximize_objective_with_tolerance`
with x = the grid index, so a tolerance ε is a window of exactly 1000·ε grid steps.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import pandas as pd

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

parser = argparse.ArgumentParser()
parser.add_argument("--fairlearn", required=True, help="folder that contains the fairlearn package")
parser.add_argument("--pandas-curves", help="pandas-only _tradeoff_curve_utilities.py to use instead of the narwhals one")
args = parser.parse_args()
if args.pandas_curves:
    shutil.copy(args.pandas_curves, os.path.join(args.fairlearn, "fairlearn", "postprocessing", "_tradeoff_curve_utilities.py"))
sys.path.insert(0, args.fairlearn)

# Fairlearn 0.15 calls check_array(ensure_all_finite=...), scikit-learn < 1.6 (the OS has 1.2)
# names it force_all_finite: translate, nothing else changes.
import sklearn.utils.validation as _validation  # noqa: E402

_check_array = _validation.check_array


def _check_array_compat(*a, **kw):
    if "ensure_all_finite" in kw:
        kw["force_all_finite"] = kw.pop("ensure_all_finite")
    return _check_array(*a, **kw)


_validation.check_array = _check_array_compat

import fairlearn  # noqa: E402
from fairlearn.postprocessing import ThresholdOptimizer  # noqa: E402
from fairlearn.postprocessing._relaxed_constraints import maximize_objective_with_tolerance  # noqa: E402

SIMPLE = ["demographic_parity", "true_positive_rate_parity", "false_positive_rate_parity",
          "true_negative_rate_parity", "false_negative_rate_parity"]
SIMPLE_OBJECTIVES = ["accuracy_score", "balanced_accuracy_score", "selection_rate", "true_positive_rate", "true_negative_rate"]
EO_OBJECTIVES = ["accuracy_score", "balanced_accuracy_score"]
TOLERANCES = [0.0, 0.01, 0.05, 0.2]


class Scores:
    """A prefit 'estimator' whose P(y=1) is the single feature."""

    def fit(self, X, y):
        return self

    def predict(self, X):
        return (np.asarray(X)[:, 0] > 0.5).astype(int)

    def predict_proba(self, X):
        s = np.asarray(X, dtype=float)[:, 0]
        return np.stack([1 - s, s], 1)

    fitted_ = True


def dataset(seed: int, n: int, decimals: int | None):
    rng = np.random.default_rng(seed)
    a = rng.choice(np.array(["F", "M"]), n, p=[0.45, 0.55])
    b = rng.choice(np.array(["A", "B", "C"]), n, p=[0.5, 0.3, 0.2])
    y = (rng.random(n) < np.where(b == "B", 0.3, 0.5)).astype(int)
    shift = np.where((a == "F") & (b == "B"), -0.8, 0.0) + np.where(a == "M", 0.3, 0.0)
    s = 1 / (1 + np.exp(-(1.6 * (2 * y - 1) + shift + rng.normal(0, 1.2, n))))
    if decimals is not None:
        s = np.round(s, decimals)
    return a, b, y, s


def rates(pos_prob: np.ndarray, y: np.ndarray, objective: str) -> dict:
    tp = float((pos_prob * y).sum()); fn = float(((1 - pos_prob) * y).sum())
    fp = float((pos_prob * (1 - y)).sum()); tn = float(((1 - pos_prob) * (1 - y)).sum())
    n = tp + fp + tn + fn
    obj = {"accuracy_score": (tp + tn) / n, "balanced_accuracy_score": 0.5 * tp / (tp + fn) + 0.5 * tn / (tn + fp),
           "selection_rate": (tp + fp) / n, "true_positive_rate": tp / (tp + fn), "true_negative_rate": tn / (tn + fp)}[objective]
    return {"count": int(len(y)), "selection_rate": (tp + fp) / n, "tpr": tp / (tp + fn), "fpr": fp / (fp + tn), "objective": obj}


def thr(x: float):
    return "inf" if x == np.inf else "-inf" if x == -np.inf else float(x)


cases = []
for name, (seed, n, decimals) in {"continuous": (5, 700, None), "ties": (6, 400, 1), "small": (7, 60, 2)}.items():
    a, b, y, s = dataset(seed, n, decimals)
    X = s.reshape(-1, 1)
    sf = pd.DataFrame({"a": a, "b": b})
    combos = [(c, o) for c in SIMPLE for o in SIMPLE_OBJECTIVES] + [("equalized_odds", o) for o in EO_OBJECTIVES]
    fits = []
    for constraint, objective in combos:
        to = ThresholdOptimizer(estimator=Scores(), constraints=constraint, objective=objective, grid_size=1000,
                                flip=False, prefit=True, predict_method="predict_proba")
        to.fit(X, y, sensitive_features=sf)
        it = to.interpolated_thresholder_.interpolation_dict
        merged = np.array([f"{u},{v}" for u, v in zip(a, b)])
        prob = to._pmf_predict(X, sensitive_features=sf)[:, 1]
        groups = []
        for g in sorted(it.keys()):
            e = it[g]
            m = merged == g
            entry = {"group": g, "p0": float(e.p0), "threshold0": thr(e.operation0.threshold),
                     "threshold1": thr(e.operation1.threshold), **rates(prob[m], y[m], objective)}
            if "p_ignore" in e:
                entry["pIgnore"] = float(e.p_ignore)
                entry["predictionConstant"] = float(e.prediction_constant)
            groups.append(entry)
        fit = {"constraint": constraint, "objective": objective, "groups": groups,
               "overall": rates(prob, y, objective)["objective"]}
        if constraint != "equalized_odds":
            curves = list(to._tradeoff_curve.values())
            weights = [len(merged[merged == g]) / n for g in to._tradeoff_curve.keys()]
            front = []
            for tol in TOLERANCES:
                steps = int(round(tol * 1000))
                if steps == 0:
                    front.append({"tolerance": tol, "indices": [int(np.argmax(np.isclose(to._x_grid, to._x_best)))] * len(curves)})
                    continue
                frames = [pd.DataFrame({"x": np.arange(1001), "y": c["y"].values}) for c in curves]
                idx, value = maximize_objective_with_tolerance(frames, weights, steps)
                front.append({"tolerance": tol, "indices": [int(i) for i in idx], "value": float(value),
                              "p0": [float(c["p0"].values[i]) for c, i in zip(curves, idx)]})
            fit["front"] = front
        fits.append(fit)
    cases.append({"name": name, "a": a.tolist(), "b": b.tolist(), "label": y.tolist(), "score": s.tolist(), "fits": fits})

path = os.path.join(REPO, "test", "fixtures", "thresholds", "fairlearn-vectors.json")
with open(path, "w", encoding="utf-8") as f:
    json.dump({"fairlearn": fairlearn.__version__, "cases": cases}, f)
    f.write("\n")
print("wrote", path, os.path.getsize(path), "bytes")
