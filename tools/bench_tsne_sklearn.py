#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""scikit-learn's TSNE on the matrix `mlsan bench tsne --write-input FILE.npy` writes, for the
comparison in README.md: Barnes-Hut, perplexity 30, 1,000 iterations, PCA initialisation,
learning rate "auto" (scikit-learn 1.2's defaults). Prints the time and writes each layout as
CSV, so that `mlsan tsne --input FILE.npy --score LAYOUT.csv [--dims 3]` scores it with the
same KL divergence and trustworthiness subsample as our own runs.

    /usr/bin/python3 tools/bench_tsne_sklearn.py FILE.npy [--dims 2 3] [--out-prefix sklearn]

Threads: scikit-learn uses OpenMP; set OMP_NUM_THREADS=2 to match `mlsan bench tsne --threads 2`.
"""
import argparse
import time

import numpy as np
import sklearn
from sklearn.manifold import TSNE

ap = argparse.ArgumentParser()
ap.add_argument("input")
ap.add_argument("--dims", type=int, nargs="+", default=[2, 3])
ap.add_argument("--out-prefix", default="sklearn")
args = ap.parse_args()
x = np.load(args.input)
print(f"scikit-learn {sklearn.__version__}: {x.shape[0]} points x {x.shape[1]} dims")
for dims in args.dims:
    t = time.time()
    model = TSNE(n_components=dims, perplexity=30, n_iter=1000, method="barnes_hut", init="pca",
                 learning_rate="auto", random_state=0)
    y = model.fit_transform(x)
    seconds = time.time() - t
    out = f"{args.out_prefix}-{dims}d.csv"
    header = ",".join("xyz"[:dims])
    np.savetxt(out, y, delimiter=",", header=header, comments="", fmt="%.7g")
    print(f"{dims}-D: {seconds:.2f} s, scikit-learn's own KL estimate {model.kl_divergence_:.4f}; layout in {out}")
