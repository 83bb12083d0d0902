// SPDX-License-Identifier: GPL-3.0-or-later
// Two classifiers compared (analysis/comparison.h): difference matrices, bootstrap intervals
// (contain the estimate, shrink with more data, exclude 0 for a clear gain, reproducible), and
// the summary over seeds.
#include <gtest/gtest.h>

#include <random>

#include "mlsan/analysis/comparison.h"

using namespace mlsan::analysis;

namespace {
/// Gold labels over k classes and a prediction right with probability `acc` (else uniform wrong).
void simulate(std::size_t n, int k, double acc, std::uint64_t seed, std::vector<int>& gold, std::vector<int>& pred) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> cls(0, k - 1);
  std::uniform_real_distribution<double> u(0, 1);
  if (gold.size() != n) {
    gold.resize(n);
    for (auto& g : gold) g = cls(rng);
  }
  pred.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (u(rng) < acc) pred[i] = gold[i];
    else pred[i] = (gold[i] + 1 + cls(rng) % (k - 1)) % k;
  }
}
}  // namespace

TEST(Comparison, DifferenceMatricesAndReports) {
  const std::vector<int> gold{0, 0, 1, 1, 2, 2};
  const std::vector<int> a{0, 1, 1, 1, 0, 2};
  const std::vector<int> b{0, 0, 1, 2, 2, 2};
  const auto c = comparePredictions(gold, a, b, 3, 200, 1);
  EXPECT_EQ(c.utterances, 6u);
  EXPECT_EQ(c.differenceCounts[0][0], 1);   // b gets both zeros right, a one
  EXPECT_EQ(c.differenceCounts[0][1], -1);
  EXPECT_EQ(c.differenceCounts[1][2], 1);
  EXPECT_EQ(c.differenceCounts[2][0], -1);
  EXPECT_DOUBLE_EQ(c.differenceRates[0][0], 0.5);
  EXPECT_DOUBLE_EQ(c.a.accuracy, 4.0 / 6);
  EXPECT_DOUBLE_EQ(c.b.accuracy, 5.0 / 6);
  EXPECT_EQ(c.mcnemar.df, 3);  // discordant: utterances 1, 3, 4
  long sum = 0;
  for (const auto& row : c.differenceCounts)
    for (long v : row) sum += v;
  EXPECT_EQ(sum, 0) << "both matrices count the same utterances";
}

TEST(Comparison, BootstrapIntervalsBehave) {
  std::vector<int> gold, a, b;
  simulate(400, 5, 0.6, 1, gold, a);
  simulate(400, 5, 0.8, 2, gold, b);
  const auto c = comparePredictions(gold, a, b, 5, 1000, 7);
  EXPECT_LE(c.ciA.low, c.a.weightedF1);
  EXPECT_GE(c.ciA.high, c.a.weightedF1);
  EXPECT_LE(c.ciB.low, c.b.weightedF1);
  EXPECT_GE(c.ciB.high, c.b.weightedF1);
  EXPECT_GT(c.ciDelta.low, 0.0) << "a 20-point gain on 400 utterances is clear";
  EXPECT_LT(c.ciDelta.high, 0.4);
  // A 95% interval of a proportion-like metric on 400 items is a few points wide.
  EXPECT_GT(c.ciA.high - c.ciA.low, 0.03);
  EXPECT_LT(c.ciA.high - c.ciA.low, 0.2);
  // More data, narrower interval; same seed, same interval.
  std::vector<int> gold4, a4;
  simulate(4000, 5, 0.6, 3, gold4, a4);
  const auto big = bootstrapWeightedF1(gold4, a4, 5, 1000, 7);
  EXPECT_LT(big.high - big.low, 0.5 * (c.ciA.high - c.ciA.low));
  const auto again = bootstrapWeightedF1(gold4, a4, 5, 1000, 7);
  EXPECT_EQ(big.low, again.low);
  EXPECT_EQ(big.high, again.high);
  // Perfect predictions: a point interval at 1.
  const auto perfect = bootstrapWeightedF1(gold, gold, 5, 100, 1);
  EXPECT_DOUBLE_EQ(perfect.low, 1.0);
  EXPECT_DOUBLE_EQ(perfect.high, 1.0);
  // Equal classifiers: the delta interval straddles 0.
  const auto same = comparePredictions(gold, a, a, 5, 300, 1);
  EXPECT_DOUBLE_EQ(same.ciDelta.low, 0.0);
  EXPECT_DOUBLE_EQ(same.ciDelta.high, 0.0);
}

TEST(Comparison, RejectsMismatchedInput) {
  EXPECT_THROW(comparePredictions({}, {}, {}, 3), std::invalid_argument);
  EXPECT_THROW(comparePredictions({0, 1}, {0}, {0, 1}, 3), std::invalid_argument);
  EXPECT_THROW(comparePredictions({0, 5}, {0, 1}, {0, 1}, 3), std::invalid_argument);
}

TEST(Comparison, SeedSummary) {
  std::vector<int> gold, p1, p2, p3;
  simulate(300, 4, 0.5, 1, gold, p1);
  simulate(300, 4, 0.6, 2, gold, p2);
  simulate(300, 4, 0.7, 3, gold, p3);
  const std::vector<int> all{0, 1, 2, 3};
  std::vector<ClassReport> reports{classificationReport(gold, p1, all), classificationReport(gold, p2, all),
                                   classificationReport(gold, p3, all)};
  const auto s = summariseSeeds(reports);
  EXPECT_EQ(s.seeds, 3);
  EXPECT_NEAR(s.weightedF1.mean, (reports[0].weightedF1 + reports[1].weightedF1 + reports[2].weightedF1) / 3, 1e-12);
  EXPECT_GT(s.weightedF1.std, 0.03);
  ASSERT_EQ(s.f1.size(), 4u);
  EXPECT_NEAR(s.f1[2].mean, (reports[0].f1[2] + reports[1].f1[2] + reports[2].f1[2]) / 3, 1e-12);
}
