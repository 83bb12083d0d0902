#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixes the conflict rule's thresholds against the generator's truth (issue 31).

Reads `mlsan explain RUN --split dev --json` of demo-family runs (each utterance carries its signed
Shapley values, the class each modality predicts alone, and, from the generator, which emotion its
audio and its visual features show) and scans the conflict kind's candidate rules (model/reliance.h)
with M = sum|phi| and a fraction F:
  pushes: one modality has phi > F * M and another phi < -F * M;
  alone:  among the modalities with |phi| > F * M, at least two predict different classes alone;
  either: pushes or alone.
(An utterance with M below the weak floor, 0.05 nats, has no kind.) The truth: audio and visual show
different emotions (utterances without a face are left out). For each rule and F it prints the F1
of conflict against that truth, per file and averaged, beside the F1 of calling everything a
conflict; the best average fixes the rule. Use the dev split, never the test split the validation
reports.

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
        alone = [u["alone"][m] for m in ("text", "audio", "visual")]
        out.append((phi, alone, u["audio_shows"] != u["visual_shows"]))
    if not out:
        sys.exit(f"{path}: no utterance with the generator's truth (a demo-family run's explain --json?)")
    return out


WEAK = 0.05


def conflict(rule, phi, alone, frac):
    m = sum(abs(p) for p in phi)
    if m < WEAK:
        return False
    pushes = max(phi) > frac * m and min(phi) < -frac * m
    big = {alone[k] for k in range(3) if abs(phi[k]) > frac * m}
    return {"pushes": pushes, "alone": len(big) >= 2, "either": pushes or len(big) >= 2}[rule]


def score(data, rule, frac):
    """Youden's J (sensitivity + specificity - 1), F1, precision, recall."""
    tp = fp = fn = tn = 0
    for phi, alone, truth in data:
        c = rule == "all" or conflict(rule, phi, alone, frac)
        tp += c and truth
        fp += c and not truth
        fn += (not c) and truth
        tn += (not c) and not truth
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    spec = tn / (tn + fp) if tn + fp else 0.0
    return r + spec - 1, (2 * tp / (2 * tp + fp + fn) if tp else 0.0), p, r


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    files = [(p, rows(p)) for p in sys.argv[1:]]
    mean = lambda xs: sum(xs) / len(xs)
    # F1 rewards calling everything a conflict when half the utterances are (it beats every rule
    # here), so the rule is chosen by Youden's J, which that scores 0.
    base = [score(d, "all", 0) for _, d in files]
    print(f"everything a conflict: J 0, F1 {mean([b[1] for b in base]):.3f} (precision {mean([b[2] for b in base]):.3f}, recall 1)")
    best = {}
    print("rule    fraction  mean J  mean F1  precision  recall")
    for rule in ("pushes", "alone", "either"):
        for k in range(0, 51):
            fr = round(0.01 * k, 2)
            sc = [score(d, rule, fr) for _, d in files]
            j, f, p, r = (mean([x[i] for x in sc]) for i in range(4))
            if rule not in best or j > best[rule][0] + 1e-12:
                best[rule] = (j, fr, f, p, r, [x[0] for x in sc])
            if k % 5 == 0:
                print(f"{rule:7s} {fr:8.2f}  {j:6.3f}  {f:7.3f}  {p:9.3f}  {r:6.3f}")
    for rule, (j, fr, f, p, r, per) in best.items():
        print(f"best {rule}: fraction {fr}: mean J {j:.3f}, F1 {f:.3f}, precision {p:.3f}, recall {r:.3f}; J per file " +
              ", ".join(f"{x:.3f}" for x in per))


if __name__ == "__main__":
    main()
