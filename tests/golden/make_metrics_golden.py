#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes metrics_golden.json: scikit-learn's and SciPy's answers for the cases the C++
metrics and tests are checked against. Run once with Debian's python3-sklearn and
python3-scipy (/usr/bin/python3 tests/golden/make_metrics_golden.py); the output is committed."""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score,
                             precision_recall_fscore_support)

rng = np.random.default_rng(20261122)
cases = []


def add(name, y_true, y_pred):
    y_true = [int(v) for v in y_true]
    y_pred = [int(v) for v in y_pred]
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    cases.append({
        "name": name, "y_true": y_true, "y_pred": y_pred, "labels": labels,
        "accuracy": accuracy_score(y_true, y_pred),
        "weighted_f1": f1_score(y_true, y_pred, average="weighted", zero_division=0),
        "macro_f1": f1_score(y_true, y_pred, average="macro", zero_division=0),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(),
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    })


add("perfect", [0, 1, 2, 2, 1], [0, 1, 2, 2, 1])
add("never_predicted_class", [0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 1])
add("predicted_only_label", [0, 0, 0, 1, 1], [0, 3, 0, 1, 3])
add("all_wrong", [0, 1, 0, 1], [1, 0, 1, 0])
add("single_class", [4, 4, 4], [4, 4, 4])
# MELD-like imbalance, a noisy classifier
prior = np.array([4710, 1205, 268, 683, 1743, 271, 1109], dtype=float)
prior /= prior.sum()
y = rng.choice(7, size=2610, p=prior)
pred = np.where(rng.random(2610) < 0.62, y, rng.choice(7, size=2610, p=prior))
add("meld_like", y, pred)
y = rng.choice(6, size=300)
pred = np.where(rng.random(300) < 0.4, y, rng.choice(6, size=300))
add("iemocap_like", y, pred)

ttests = []
for a, b in [([67.7, 67.9, 67.6], [66.3, 66.4, 66.2]), ([1.0, 2.0, 3.0, 4.0], [1.5, 1.9, 3.2, 3.1]),
             ([10, 12, 9, 11, 13], [9, 11, 10, 10, 12]), ([0.5, 0.6], [0.4, 0.3])]:
    t = stats.ttest_rel(a, b)
    ttests.append({"a": a, "b": b, "t": float(t.statistic), "p": float(t.pvalue)})

binom = []
for k, n in [(3, 10), (0, 5), (40, 100), (120, 300), (7, 7), (25, 26)]:
    binom.append({"k": k, "n": n, "p": float(stats.binomtest(k, n, 0.5).pvalue)})

out = {"generator": f"scikit-learn {sklearn.__version__}, SciPy {scipy.__version__}",
       "classification": cases, "ttest_rel": ttests, "binomtest_two_sided": binom}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_golden.json")
with open(path, "w") as fh:
    json.dump(out, fh)
print("wrote", path)
