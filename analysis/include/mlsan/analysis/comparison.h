// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Two classifiers on the same utterances (the confusion-matrix comparison, the paper's
// Fig. 4): both reports, the difference of their confusion matrices (counts and row-normalised),
// McNemar's test, and percentile-bootstrap confidence intervals of each weighted F1 and of their
// difference (paired: the same resampled utterances for both). Several seeds per side give
// mean +- std of the weighted and per-class F1 and a paired t-test over seeds. Pure functions;
// any thread.
#include <cstdint>
#include <vector>

#include "mlsan/analysis/metrics.h"
#include "mlsan/analysis/stats.h"

namespace mlsan::analysis {

struct Interval {
  double low = 0, high = 0;  ///< fractions, like the metric
  double level = 0.95;
  int resamples = 0;
};

/// Percentile bootstrap of the weighted F1 of pred against gold, resampling utterances.
Interval bootstrapWeightedF1(const std::vector<int>& gold, const std::vector<int>& pred, int numLabels, int resamples = 1000,
                             std::uint64_t seed = 1, double level = 0.95);

struct PairComparison {
  ClassReport a, b;                                  ///< over labels 0..numLabels-1
  std::vector<std::vector<long>> differenceCounts;   ///< b.confusion - a.confusion
  std::vector<std::vector<double>> differenceRates;  ///< rowNormalised(b) - rowNormalised(a)
  TestResult mcnemar;                                ///< statistic = a right and b wrong
  Interval ciA, ciB;                                 ///< bootstrap CIs of each weighted F1
  Interval ciDelta;                                  ///< of weighted F1 b - a, paired
  std::size_t utterances = 0;
};

/// Compares predA and predB against gold over labels 0..numLabels-1. Throws
/// std::invalid_argument when the sizes differ or nothing is given.
PairComparison comparePredictions(const std::vector<int>& gold, const std::vector<int>& predA, const std::vector<int>& predB,
                                  int numLabels, int resamples = 1000, std::uint64_t seed = 1);

/// Mean +- std over seeds of the weighted F1 and of each class's F1 (fractions).
struct SeedSummary {
  MeanStd weightedF1;
  std::vector<MeanStd> f1;  ///< per label
  int seeds = 0;
};
SeedSummary summariseSeeds(const std::vector<ClassReport>& reports);

/// Two configurations A and B, each trained with one or more seeds, on the same utterances:
/// what `mlsan compare` prints and the studio's Confusion tab shows.
struct SeedComparison {
  PairComparison first;            ///< the first run of A against the first run of B
  SeedSummary a, b;                ///< over every run of each side, all labels 0..numLabels-1
  std::vector<double> weightedF1A, weightedF1B;  ///< per run, in the order given
  bool paired = false;             ///< both sides have the same number of runs, at least 2
  TestResult pairedT;              ///< paired t-test of weighted F1, B - A over seeds, when `paired`
  /// B - A over the paired seeds (fractions) with its Student-t 95% interval (seedInterval: NaN
  /// bounds below 3 seeds), when `paired`.
  MeanCI pairedDifference;
};

/// `a[s][i]` is run s of A's prediction for utterance i (likewise `b`); -1 means that run has no
/// prediction for it and leaves it out of its own report. a[0] and b[0] must predict every
/// utterance. Throws std::invalid_argument when a side is empty or sizes differ.
SeedComparison compareWithSeeds(const std::vector<int>& gold, const std::vector<std::vector<int>>& a,
                                const std::vector<std::vector<int>>& b, int numLabels, int resamples = 1000,
                                std::uint64_t seed = 1);

}  // namespace mlsan::analysis
