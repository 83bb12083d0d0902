#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes tsne_golden.json: scikit-learn's trustworthiness (k = 5 and 10, Euclidean) of fixed
small inputs and embeddings, and the k nearest neighbours of the inputs, for
tests/test_tsne.cpp. Run once with Debian's python3-sklearn
(/usr/bin/python3 tests/golden/make_tsne_golden.py); the output is committed."""
import json
import os

import numpy as np
import sklearn
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

rng = np.random.default_rng(20261123)
cases = []


def add(name, x, y):
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.float32)
    nn = NearestNeighbors(n_neighbors=6).fit(x).kneighbors(return_distance=False)
    cases.append({"name": name, "n": int(x.shape[0]), "dx": int(x.shape[1]), "dy": int(y.shape[1]),
                  "x": [float(v) for v in x.ravel()], "y": [float(v) for v in y.ravel()],
                  "trust5": float(trustworthiness(x, y, n_neighbors=5)),
                  "trust10": float(trustworthiness(x, y, n_neighbors=10)),
                  "neighbours6": nn.tolist()})


# A projection that keeps most structure, one that keeps little, and a noisy 3-D embedding.
x = rng.normal(size=(80, 6))
add("first two axes", x, x[:, :2])
add("last axis and noise", x, np.c_[x[:, 5], rng.normal(size=80)])
c = rng.normal(scale=4, size=(4, 10))
lab = rng.integers(0, 4, 60)
x2 = c[lab] + rng.normal(size=(60, 10))
add("clusters, noisy 3-D", x2, x2[:, :3] + rng.normal(scale=0.5, size=(60, 3)))

out = {"sklearn": sklearn.__version__, "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsne_golden.json"), "w") as f:
    json.dump(out, f)
print("wrote", len(cases), "cases with scikit-learn", sklearn.__version__)
