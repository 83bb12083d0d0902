#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes disentangle_golden.json: scikit-learn's silhouette_score (Euclidean) and the
cross-validated accuracy of LogisticRegression (C = 1, lbfgs, standardised features, stratified
5-fold) on small synthetic sets, for tests/test_disentangle.cpp. Run once with Debian's
python3-sklearn (/usr/bin/python3 tests/golden/make_disentangle_golden.py); the output is
committed."""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import silhouette_score
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

rng = np.random.default_rng(20261123)
cases = []


def add(name, x, labels):
    x = np.asarray(x, dtype=np.float32)
    labels = np.asarray(labels, dtype=int)
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000))
    acc = cross_val_score(probe, x, labels, cv=StratifiedKFold(5, shuffle=True, random_state=0))
    cases.append({"name": name, "n": int(x.shape[0]), "d": int(x.shape[1]),
                  "x": [float(v) for v in x.ravel()], "labels": labels.tolist(),
                  "silhouette": float(silhouette_score(x, labels, metric="euclidean")),
                  "probe_accuracy": float(acc.mean())})


# Well separated clusters, overlapping clusters, labels unrelated to the features, one
# singleton cluster, and non-contiguous label ids.
centres = rng.normal(0, 4, size=(4, 6))
y = np.repeat(np.arange(4), 30)
add("separated", centres[y] + rng.normal(0, 1, size=(120, 6)), y)
centres = rng.normal(0, 0.8, size=(3, 5))
y = rng.integers(0, 3, size=150)
add("overlapping", centres[y] + rng.normal(0, 1, size=(150, 5)), y)
add("unrelated", rng.normal(0, 1, size=(100, 4)), rng.integers(0, 4, size=100))
x = rng.normal(0, 1, size=(40, 3))
y = np.repeat([0, 1], 20)
y[7] = 2  # a cluster of one: its silhouette is 0
add("singleton", x + 2.0 * y[:, None], y)
y = np.repeat([3, 10, 42], 25)
add("sparse_ids", rng.normal(0, 1, size=(75, 4)) + y[:, None] / 10.0, y)

out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": cases}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "disentangle_golden.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", path)
