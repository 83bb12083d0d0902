#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixes the conflict rule's thresholds against the generator's truth (issue 31).

Reads `mlsan explain RUN --split dev --json` of demo-family runs (each utterance carries its signed
Shapley values and, from the generator, which emotion its audio and its visual features show) and
scans the two thresholds of the conflict kind (model/reliance.h):
  weak floor  W: an utterance whose modalities move log p by M = sum|phi| < W nats has no kind;
  fraction    F: conflict when one modality has phi >= F * M and another phi <= -F * M.
The truth: audio and visual show different emotions (utterances without a face are left out).
For each (W, F) it prints the F1 of conflict against that truth, per file and averaged; the best
average is the rule's setting. Use the dev split, never the test split the validation reports.

usage: calibrate_conflict.py EXPLAIN.json [EXPLAIN.json ...]
"""
import json
import sys


def rows(path):
    with open(path) as f:
        j = json.load(f)
    out = []
    for u in j["utterances"]:
        if u.get("visual_shows") is None or u.get("audio_shows") is None:
            continue
        phi = [u["shapley"][m] for m in ("text", "audio", "visual")]
        out.append((phi, u["audio_shows"] != u["visual_shows"]))
    if not out:
        sys.exit(f"{path}: no utterance with the generator's truth (a demo-family run's explain --json?)")
    return out


def f1(data, floor, frac):
    tp = fp = fn = 0
    for phi, truth in data:
        m = sum(abs(p) for p in phi)
        conflict = m >= floor and max(phi) >= frac * m and min(phi) <= -frac * m
        tp += conflict and truth
        fp += conflict and not truth
        fn += (not conflict) and truth
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    files = [(p, rows(p)) for p in sys.argv[1:]]
    floors = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2]
    fracs = [round(0.01 * k, 2) for k in range(1, 51)]
    best = None
    print("floor  fraction  " + "  ".join(f"F1[{i}]" for i in range(len(files))) + "  mean")
    for w in floors:
        for fr in fracs:
            scores = [f1(d, w, fr) for _, d in files]
            mean = sum(scores) / len(scores)
            if best is None or mean > best[0] + 1e-12:
                best = (mean, w, fr, scores)
            if fr in (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5):
                print(f"{w:5.2f}  {fr:8.2f}  " + "  ".join(f"{s:5.3f}" for s in scores) + f"  {mean:5.3f}")
    mean, w, fr, scores = best
    print(f"\nbest: floor {w} nats, fraction {fr}: mean F1 {mean:.3f} (" +
          ", ".join(f"{p}: {s:.3f}" for (p, _), s in zip(files, scores)) + ")")
    base = [sum(t for _, t in d) / len(d) for _, d in files]
    print("share of utterances whose audio and visual disagree: " + ", ".join(f"{b:.3f}" for b in base))


if __name__ == "__main__":
    main()
