#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How much do MELD's speakers differ in which emotions they express?

Estimates, from MELD's annotation CSV, the spread of per-speaker emotional dispositions in the
units of the demo corpus's `dispositionSigma` knob (data/DEMO_CORPUS.md): the generator tilts
each speaker's class proportions by exp(N(0, sigma)) per class, so sigma is the standard
deviation, over speakers and classes, of log(p(class | speaker) / p(class)) once each speaker's
own constant is removed.

The observed spread includes sampling noise (a speaker with 30 utterances has noisy
proportions even if everyone were alike). The script removes it with a permutation null: the
emotions are shuffled across utterances R times, which keeps every speaker's utterance count and
the class proportions but breaks any link between speaker and emotion; the mean variance under
the null is subtracted from the observed variance.

Standard library only. Usage:
  tools/meld_speaker_dispositions.py tests/data/meld/train_sent_emo.csv [--min-utterances 20]
"""
import argparse
import collections
import csv
import math
import random
import sys

LABELS = ["neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"]


def centred_log_ratios(pairs, speakers, prior):
    by_speaker = collections.defaultdict(collections.Counter)
    for speaker, emotion in pairs:
        if speaker in speakers:
            by_speaker[speaker][emotion] += 1
    values = []
    for speaker in speakers:
        counts = by_speaker[speaker]
        n = sum(counts.values())
        logs = [math.log((counts[c] + 0.5) / (n + 0.5 * len(LABELS)) / prior[c]) for c in LABELS]
        mean = sum(logs) / len(logs)
        values.extend(x - mean for x in logs)
    return values


def variance(values):
    # each speaker's row was centred: one degree of freedom per speaker is used up
    dof = len(values) * (len(LABELS) - 1) / len(LABELS)
    return sum(v * v for v in values) / dof


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", help="MELD annotation CSV (train_sent_emo.csv)")
    parser.add_argument("--min-utterances", type=int, default=20,
                        help="speakers with at least this many utterances (the engine's 'other' threshold)")
    parser.add_argument("--main-six", action="store_true", help="only the six most frequent speakers")
    parser.add_argument("--permutations", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    try:
        with open(args.csv, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError) as e:
        sys.exit(f"{args.csv}: cannot read: {e}")
    if not rows or "Speaker" not in rows[0] or "Emotion" not in rows[0]:
        sys.exit(f"{args.csv}: needs the columns Speaker and Emotion")
    pairs = [(r["Speaker"], r["Emotion"]) for r in rows if r["Emotion"] in LABELS]

    counts = collections.Counter(s for s, _ in pairs)
    if args.main_six:
        speakers = [s for s, _ in counts.most_common(6)]
    else:
        speakers = sorted(s for s, n in counts.items() if n >= args.min_utterances)
    total = collections.Counter(e for _, e in pairs)
    prior = {c: total[c] / len(pairs) for c in LABELS}

    observed = variance(centred_log_ratios(pairs, set(speakers), prior))
    rng = random.Random(args.seed)
    emotions = [e for _, e in pairs]
    null = 0.0
    for _ in range(args.permutations):
        rng.shuffle(emotions)
        null += variance(centred_log_ratios(zip((s for s, _ in pairs), emotions), set(speakers), prior))
    null /= args.permutations

    print(f"{args.csv}: {len(pairs)} utterances, {len(speakers)} speakers "
          f"({'the six most frequent' if args.main_six else f'>= {args.min_utterances} utterances'})")
    print(f"observed s.d. of centred log(p(c|s)/p(c)): {math.sqrt(observed):.3f}")
    print(f"sampling noise alone (permutation null, {args.permutations} shuffles): {math.sqrt(null):.3f}")
    print(f"disposition sigma (noise removed): {math.sqrt(max(observed - null, 0.0)):.3f}")


if __name__ == "__main__":
    main()
