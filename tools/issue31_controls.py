#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo and its two controls, measured the same way (issue 31; data/DEMO_CORPUS.md).

For each corpus folder of seed runs written by
    mlsan seeds --corpus C --seeds 5 --jobs 2 --threads 1 --out ROOT/experiments-C            (ML-SAN)
    mlsan seeds --corpus C --variant multiemo --seeds 5 --jobs 2 --threads 1 --out ROOT/experiments-C
this script runs, with the given mlsan binary (every number comes from mlsan itself):
    mlsan compare MULTIEMO ML-SAN --seeds-a ... --seeds-b ... --json      (paired over seeds, t-interval)
    mlsan explain RUN --absent draw|mean|zero --draws K --json            (test split; demo family: validation)
    mlsan disentangle RUN --json                                          (grouped folds, emotion transfer)
keeps each JSON beside the run (RUN/issue31/) so that a second call only rebuilds the tables, and
prints the Markdown tables of data/DEMO_CORPUS.md, "Results on the controls".

Over-seed summaries are mean, s.d. and the Student-t 95% interval over the seeds (n - 1 degrees of
freedom), the rule of analysis::seedInterval; none below 3 seeds.

usage: issue31_controls.py MLSAN ROOT CORPUS [CORPUS ...] [--draws K] [--jobs J]
"""
import argparse
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

# Student's t 0.975 quantiles by degrees of freedom (scipy.stats.t.ppf(0.975, df)).
T975 = {1: 12.706205, 2: 4.302653, 3: 3.182446, 4: 2.776445, 5: 2.570582, 6: 2.446912, 7: 2.364624, 8: 2.306004, 9: 2.262157}


def interval(values):
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
    if n < 3:
        return mean, sd, None
    half = T975[n - 1] * sd / math.sqrt(n)
    return mean, sd, (mean - half, mean + half)


def fmt(values, digits=2, scale=1.0):
    mean, sd, ci = interval([scale * v for v in values])
    s = f"{mean:.{digits}f} ± {sd:.{digits}f}"
    if ci:
        s += f" [{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return s


def run(cmd, out=None):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    if out:
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            f.write(r.stdout)
        os.replace(tmp, out)
    return r.stdout


def cached(mlsan, run_dir, name, args):
    os.makedirs(os.path.join(run_dir, "issue31"), exist_ok=True)
    path = os.path.join(run_dir, "issue31", name + ".json")
    if not os.path.exists(path):
        run([mlsan] + args, path)
    with open(path) as f:
        return json.load(f)


def seeds_of(root, variant):
    d = os.path.join(root, variant)
    return sorted((os.path.join(d, s) for s in os.listdir(d) if s.startswith("seed")), key=lambda p: int(p.rsplit("seed", 1)[1]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mlsan")
    ap.add_argument("root")
    ap.add_argument("corpora", nargs="+")
    ap.add_argument("--draws", type=int, default=32)
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    for corpus in a.corpora:
        root = os.path.join(a.root, "experiments-" + corpus)
        full, multi = seeds_of(root, "full"), seeds_of(root, "multiemo")
        jobs = []
        for r in full + multi:
            for absent in ("draw", "mean", "zero"):
                extra = ["--draws", str(a.draws)] if absent == "draw" else []
                jobs.append((r, f"explain-{absent}", ["explain", r, "--absent", absent, "--threads", "1", "--json"] + extra))
            jobs.append((r, "disentangle", ["disentangle", r, "--threads", "1", "--json"]))
        with ThreadPoolExecutor(a.jobs) as pool:
            list(pool.map(lambda j: cached(a.mlsan, *j[:2], j[2]), jobs))
        print(f"\n### {corpus}: {len(full)} ML-SAN and {len(multi)} MultiEMO seeds\n")
        cmp = json.loads(run([a.mlsan, "compare", multi[0], full[0], "--json"] + sum((["--seeds-a", m] for m in multi[1:]), []) +
                             sum((["--seeds-b", f] for f in full[1:]), [])))
        s = cmp["seeds"]
        d = s["difference"]
        ci = d["ci"]
        print(f"Test weighted F1: MultiEMO {s['a']['weighted_f1_mean']:.2f} ± {s['a']['weighted_f1_std']:.2f}, ML-SAN "
              f"{s['b']['weighted_f1_mean']:.2f} ± {s['b']['weighted_f1_std']:.2f}; ML-SAN − MultiEMO {d['mean']:+.2f} ± {d['std']:.2f}"
              + (f", 95% t-interval [{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci[0] is not None else "")
              + f", paired p = {s['paired_t_test']['p_value']:.3g}")
        print("per seed (MultiEMO, ML-SAN): " + ", ".join(
            f"{json.load(open(os.path.join(m, 'metrics.json')))['weighted_f1']:.2f}/{json.load(open(os.path.join(f, 'metrics.json')))['weighted_f1']:.2f}"
            for m, f in zip(multi, full)))
        # Reliance by nominal speaker type, and the test between voice-led and face-led.
        print("\n| model | baseline | voice-led audio | voice-led visual | face-led audio | face-led visual | "
              "voice − face (audio − visual), per speaker | seeds with p < 0.05 |")
        print("|---|---|---|---|---|---|---|---|")
        for name, runs in (("ML-SAN", full), ("MultiEMO", multi)):
            for absent in ("draw", "mean", "zero"):
                js = [json.load(open(os.path.join(r, "issue31", f"explain-{absent}.json"))) for r in runs]
                cell = lambda t, m: fmt([j["by_speaker_type"][t][m]["reliance"] for j in js], 3)
                diffs = [j["by_speaker_type"]["test"]["difference"] for j in js if j["by_speaker_type"]["test"].get("p") is not None]
                sig = sum(1 for j in js if (j["by_speaker_type"]["test"].get("p") or 1) < 0.05)
                print(f"| {name} | {absent} | {cell('voice-led', 'audio')} | {cell('voice-led', 'visual')} | {cell('face-led', 'audio')} | "
                      f"{cell('face-led', 'visual')} | {fmt(diffs, 3)} | {sig} of {len(js)} |")
        # The explanations checked against the truth.
        print("\n| model | baseline | showing beats misleading | conflict precision | conflict recall | utterances (showing, conflict, disagree) |")
        print("|---|---|---|---|---|---|")
        for name, runs in (("ML-SAN", full), ("MultiEMO", multi)):
            for absent in ("draw", "mean", "zero"):
                js = [json.load(open(os.path.join(r, "issue31", f"explain-{absent}.json")))["validation"] for r in runs]
                cols = []
                for k in ("showing_beats_misleading", "conflict_precision", "conflict_recall"):
                    vals = [v[k]["value"] for v in js if v[k]["value"] is not None]
                    cols.append(fmt(vals, 3) if vals else "—")
                n = [sum(v[k]["utterances"] for v in js) // len(js) for k in ("showing_beats_misleading", "conflict_precision", "conflict_recall")]
                print(f"| {name} | {absent} | " + " | ".join(cols) + f" | {n[0]}, {n[1]}, {n[2]} |")
        # Disentanglement at every stage.
        print("\n| model | features | speaker probe − chance | within emotion − chance | emotion, unseen speakers | emotion, seen speakers | gap |")
        print("|---|---|---|---|---|---|---|")
        for name, runs in (("ML-SAN", full), ("MultiEMO", multi)):
            js = [json.load(open(os.path.join(r, "issue31", "disentangle.json")))["features"] for r in runs]
            for fs in ("audio_raw", "audio_film", "audio_gated", "visual_raw", "visual_film", "visual_gated", "fused"):
                if name == "MultiEMO" and fs.endswith("_film"):
                    continue
                e = [j[fs] for j in js if "error" not in j[fs]]
                lift = [x["speaker_probe_accuracy"] - x["speaker_chance"] for x in e]
                within = [x["speaker_probe_within_emotion"]["accuracy"] - x["speaker_probe_within_emotion"]["chance"] for x in e
                          if "accuracy" in x["speaker_probe_within_emotion"]]
                t = [x["emotion_transfer_across_speakers"] for x in e if "error" not in x["emotion_transfer_across_speakers"]]
                print(f"| {name} | {fs} | {fmt(lift, 1, 100)} | {fmt(within, 1, 100)} | {fmt([x['across_speakers'] for x in t], 1, 100)} | "
                      f"{fmt([x['within_speakers'] for x in t], 1, 100)} | {fmt([x['gap'] for x in t], 1, 100)} |")


if __name__ == "__main__":
    main()
