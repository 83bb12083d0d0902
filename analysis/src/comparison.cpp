// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/analysis/comparison.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace mlsan::analysis {
namespace {

/// Weighted F1 from a confusion matrix (rows true, columns predicted), scikit-learn's way.
double weightedF1FromConfusion(const std::vector<std::vector<long>>& c) {
  const std::size_t k = c.size();
  long total = 0;
  double sum = 0;
  for (std::size_t i = 0; i < k; ++i) {
    long support = 0, predicted = 0;
    for (std::size_t j = 0; j < k; ++j) {
      support += c[i][j];
      predicted += c[j][i];
    }
    total += support;
    const long tp = c[i][i];
    const double denom = static_cast<double>(support + predicted);
    if (support > 0 && denom > 0) sum += support * (2.0 * tp / denom);
  }
  return total > 0 ? sum / static_cast<double>(total) : 0.0;
}

double percentile(std::vector<double> v, double q) {
  // numpy's default (linear interpolation between closest ranks).
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

/// Confusion matrices of resampled utterances, filled incrementally.
struct Resampler {
  Resampler(std::size_t n, std::uint64_t seed) : rng(seed), pick(0, n - 1) {}
  std::mt19937_64 rng;
  std::uniform_int_distribution<std::size_t> pick;
};

void checkSizes(const std::vector<int>& gold, const std::vector<int>& pred, int numLabels) {
  if (gold.empty()) throw std::invalid_argument("comparison: no utterances");
  if (gold.size() != pred.size()) throw std::invalid_argument("comparison: gold and predictions differ in number");
  for (std::size_t i = 0; i < gold.size(); ++i)
    if (gold[i] < 0 || gold[i] >= numLabels || pred[i] < 0 || pred[i] >= numLabels)
      throw std::invalid_argument("comparison: label out of range at utterance " + std::to_string(i));
}

}  // namespace

Interval bootstrapWeightedF1(const std::vector<int>& gold, const std::vector<int>& pred, int numLabels, int resamples,
                             std::uint64_t seed, double level) {
  checkSizes(gold, pred, numLabels);
  Resampler r(gold.size(), seed);
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(resamples));
  const std::size_t k = static_cast<std::size_t>(numLabels);
  for (int s = 0; s < resamples; ++s) {
    std::vector<std::vector<long>> c(k, std::vector<long>(k, 0));
    for (std::size_t i = 0; i < gold.size(); ++i) {
      const std::size_t u = r.pick(r.rng);
      ++c[static_cast<std::size_t>(gold[u])][static_cast<std::size_t>(pred[u])];
    }
    values.push_back(weightedF1FromConfusion(c));
  }
  Interval out;
  out.level = level;
  out.resamples = resamples;
  out.low = percentile(values, (1 - level) / 2);
  out.high = percentile(values, 1 - (1 - level) / 2);
  return out;
}

PairComparison comparePredictions(const std::vector<int>& gold, const std::vector<int>& predA, const std::vector<int>& predB,
                                  int numLabels, int resamples, std::uint64_t seed) {
  checkSizes(gold, predA, numLabels);
  checkSizes(gold, predB, numLabels);
  PairComparison p;
  p.utterances = gold.size();
  std::vector<int> all(static_cast<std::size_t>(numLabels));
  for (int i = 0; i < numLabels; ++i) all[static_cast<std::size_t>(i)] = i;
  p.a = classificationReport(gold, predA, all);
  p.b = classificationReport(gold, predB, all);
  const std::size_t k = all.size();
  const auto ra = rowNormalised(p.a.confusion), rb = rowNormalised(p.b.confusion);
  p.differenceCounts.assign(k, std::vector<long>(k, 0));
  p.differenceRates.assign(k, std::vector<double>(k, 0.0));
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      p.differenceCounts[i][j] = p.b.confusion[i][j] - p.a.confusion[i][j];
      p.differenceRates[i][j] = rb[i][j] - ra[i][j];
    }
  p.mcnemar = mcnemar(gold, predA, predB);
  // One resampling drives all three intervals, so the delta's is paired.
  Resampler r(gold.size(), seed);
  std::vector<double> fa, fb, fd;
  for (int s = 0; s < resamples; ++s) {
    std::vector<std::vector<long>> ca(k, std::vector<long>(k, 0)), cb(k, std::vector<long>(k, 0));
    for (std::size_t i = 0; i < gold.size(); ++i) {
      const std::size_t u = r.pick(r.rng);
      ++ca[static_cast<std::size_t>(gold[u])][static_cast<std::size_t>(predA[u])];
      ++cb[static_cast<std::size_t>(gold[u])][static_cast<std::size_t>(predB[u])];
    }
    fa.push_back(weightedF1FromConfusion(ca));
    fb.push_back(weightedF1FromConfusion(cb));
    fd.push_back(fb.back() - fa.back());
  }
  auto interval = [&](const std::vector<double>& v) {
    Interval out;
    out.resamples = resamples;
    if (v.empty()) return out;
    out.low = percentile(v, 0.025);
    out.high = percentile(v, 0.975);
    return out;
  };
  p.ciA = interval(fa);
  p.ciB = interval(fb);
  p.ciDelta = interval(fd);
  return p;
}

SeedSummary summariseSeeds(const std::vector<ClassReport>& reports) {
  SeedSummary s;
  s.seeds = static_cast<int>(reports.size());
  if (reports.empty()) return s;
  std::vector<double> w;
  for (const auto& r : reports) w.push_back(r.weightedF1);
  s.weightedF1 = meanStd(w);
  const std::size_t k = reports.front().f1.size();
  for (std::size_t c = 0; c < k; ++c) {
    std::vector<double> v;
    for (const auto& r : reports) {
      if (r.f1.size() != k) throw std::invalid_argument("seed summary: reports over different label sets");
      v.push_back(r.f1[c]);
    }
    s.f1.push_back(meanStd(v));
  }
  return s;
}

SeedComparison compareWithSeeds(const std::vector<int>& gold, const std::vector<std::vector<int>>& a,
                                const std::vector<std::vector<int>>& b, int numLabels, int resamples, std::uint64_t seed) {
  if (a.empty() || b.empty()) throw std::invalid_argument("seed comparison: each side needs at least one run");
  SeedComparison out;
  out.first = comparePredictions(gold, a.front(), b.front(), numLabels, resamples, seed);
  std::vector<int> all(static_cast<std::size_t>(numLabels));
  for (int i = 0; i < numLabels; ++i) all[static_cast<std::size_t>(i)] = i;
  auto side = [&](const std::vector<std::vector<int>>& runs, std::vector<double>& weighted) {
    std::vector<ClassReport> reports;
    for (const auto& run : runs) {
      if (run.size() != gold.size()) throw std::invalid_argument("seed comparison: a run's predictions and the gold labels differ in size");
      std::vector<int> g, p;
      for (std::size_t i = 0; i < gold.size(); ++i)
        if (run[i] >= 0) {
          g.push_back(gold[i]);
          p.push_back(run[i]);
        }
      if (g.empty()) continue;
      reports.push_back(classificationReport(g, p, all));
      weighted.push_back(reports.back().weightedF1);
    }
    return summariseSeeds(reports);
  };
  out.a = side(a, out.weightedF1A);
  out.b = side(b, out.weightedF1B);
  if (out.weightedF1A.size() == out.weightedF1B.size() && out.weightedF1A.size() >= 2) {
    out.paired = true;
    out.pairedT = pairedTTest(out.weightedF1B, out.weightedF1A);
    std::vector<double> d;
    for (std::size_t i = 0; i < out.weightedF1A.size(); ++i) d.push_back(out.weightedF1B[i] - out.weightedF1A[i]);
    out.pairedDifference = seedInterval(d);
  }
  return out;
}

}  // namespace mlsan::analysis
