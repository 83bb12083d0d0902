// SPDX-License-Identifier: GPL-3.0-or-later
// Exact Shapley values, leave-one-out drops and factorial effects of small games; Welch's test,
// Student's quantile and mean CIs: hand-computed and textbook values.
#include <gtest/gtest.h>

#include <cmath>

#include "mlsan/analysis/shapley.h"
#include "mlsan/analysis/stats.h"

using namespace mlsan;

TEST(Shapley, ThreePlayerGameMatchesTheHandComputation) {
  // v: {} 0, {0} 1, {1} 2, {0,1} 6, {2} 0, {0,2} 1, {1,2} 2, {0,1,2} 9.
  const std::vector<double> v{0, 1, 2, 6, 0, 1, 2, 9};
  const auto phi = analysis::shapleyValues(v, 3);
  // phi_0 = 1/3 (1-0) + 1/6 (6-2) + 1/6 (1-0) + 1/3 (9-2) = 1/3 + 4/6 + 1/6 + 7/3 = 3.5
  EXPECT_NEAR(phi[0], 3.5, 1e-12);
  // phi_1 = 1/3 (2) + 1/6 (5) + 1/6 (2) + 1/3 (8) = 2/3 + 5/6 + 2/6 + 8/3 = 4.5
  EXPECT_NEAR(phi[1], 4.5, 1e-12);
  // phi_2 = 1/3 (0) + 1/6 (0) + 1/6 (0) + 1/3 (3) = 1
  EXPECT_NEAR(phi[2], 1.0, 1e-12);
  EXPECT_NEAR(phi[0] + phi[1] + phi[2], v[7] - v[0], 1e-12);
  const auto drop = analysis::leaveOneOutDrops(v, 3);
  EXPECT_DOUBLE_EQ(drop[0], 9 - 2);
  EXPECT_DOUBLE_EQ(drop[1], 9 - 1);
  EXPECT_DOUBLE_EQ(drop[2], 9 - 6);
  EXPECT_THROW(analysis::shapleyValues({1, 2, 3}, 2), std::invalid_argument);
}

TEST(Shapley, SubstitutesShareWhatLeaveOneOutMisses) {
  // Audio and visual carry the same cue: either one is enough. Leave-one-out says neither
  // matters; Shapley splits the cue between them.
  std::vector<double> v(8, 0.0);
  for (unsigned s = 0; s < 8; ++s) v[s] = (s & 2u) || (s & 4u) ? 1.0 : 0.0;
  const auto drop = analysis::leaveOneOutDrops(v, 3);
  EXPECT_EQ(drop[1], 0.0);
  EXPECT_EQ(drop[2], 0.0);
  const auto phi = analysis::shapleyValues(v, 3);
  EXPECT_NEAR(phi[0], 0.0, 1e-12);
  EXPECT_NEAR(phi[1], 0.5, 1e-12);
  EXPECT_NEAR(phi[2], 0.5, 1e-12);
}

TEST(Shapley, FactorialEffectsAreMainEffectsAndInteractions) {
  // v = 10 + 2a + 3b + 1ab (a bit 0, b bit 1, c bit 2 has no effect).
  std::vector<double> v(8);
  for (unsigned s = 0; s < 8; ++s) {
    const int a = s & 1u ? 1 : 0, b = s & 2u ? 1 : 0;
    v[s] = 10 + 2 * a + 3 * b + a * b;
  }
  const auto e = analysis::factorialEffects(v, 3);
  EXPECT_NEAR(e[1], 2.5, 1e-12);   // mean with a - mean without: 2 + 0.5 (b half the time)
  EXPECT_NEAR(e[2], 3.5, 1e-12);
  EXPECT_NEAR(e[4], 0.0, 1e-12);
  EXPECT_NEAR(e[3], 0.5, 1e-12);   // half of (a's effect with b 3 - without b 2)
  EXPECT_NEAR(e[5], 0.0, 1e-12);
  EXPECT_NEAR(e[0], 10 + 1 + 1.5 + 0.25, 1e-12);
}

TEST(Stats, WelchAndStudentQuantileMatchTheTextbook) {
  EXPECT_NEAR(analysis::studentQuantile(0.975, 10), 2.2281388519649385, 1e-9);
  EXPECT_NEAR(analysis::studentQuantile(0.975, 1), 12.706204736174698, 1e-7);
  EXPECT_NEAR(analysis::studentQuantile(0.025, 10), -2.2281388519649385, 1e-9);
  // a: mean 3, var 2.5 (n 5); b: mean 6, var 10 (n 5): t = -3 / sqrt(0.5 + 2), df = 6.25 / (0.0625 + 1).
  const auto r = analysis::welchTTest({1, 2, 3, 4, 5}, {2, 4, 6, 8, 10});
  EXPECT_NEAR(r.statistic, -3 / std::sqrt(2.5), 1e-12);
  EXPECT_NEAR(r.df, 6.25 / 1.0625, 1e-12);
  EXPECT_NEAR(r.pValue, analysis::studentTwoSidedP(r.statistic, r.df), 1e-15);
  EXPECT_GT(r.pValue, 0.05);
  EXPECT_LT(r.pValue, 0.2);
  const auto ci = analysis::meanCI({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  EXPECT_NEAR(ci.mean, 6, 1e-12);
  EXPECT_NEAR(ci.high - ci.mean, 2.2281388519649385 * std::sqrt(11.0) / std::sqrt(11.0), 1e-8);  // s = sqrt(11)
}

// Issue 31: the pairwise Shapley interaction index, on games whose interactions are known.
TEST(ShapleyInteractions, KnownGames) {
  // Additive: no interaction anywhere.
  std::vector<double> v(8);
  for (unsigned s = 0; s < 8; ++s) v[s] = 1.0 * (s & 1) + 2.0 * ((s >> 1) & 1) + 4.0 * ((s >> 2) & 1);
  for (double i : analysis::shapleyInteractions(v, 3)) EXPECT_NEAR(i, 0, 1e-12);
  // Unanimity of players 0 and 1 (v = 1 when both are in): I_01 = 1, the others 0; the pair's
  // Shapley values are 1/2 each.
  for (unsigned s = 0; s < 8; ++s) v[s] = (s & 3u) == 3u ? 1.0 : 0.0;
  auto i = analysis::shapleyInteractions(v, 3);
  ASSERT_EQ(i.size(), 3u);
  EXPECT_NEAR(i[0], 1.0, 1e-12);  // (0, 1)
  EXPECT_NEAR(i[1], 0.0, 1e-12);  // (0, 2)
  EXPECT_NEAR(i[2], 0.0, 1e-12);  // (1, 2)
  // Redundancy: v = 1 when player 1 or 2 is in (either suffices): I_12 = -1.
  for (unsigned s = 0; s < 8; ++s) v[s] = (s & 6u) ? 1.0 : 0.0;
  i = analysis::shapleyInteractions(v, 3);
  EXPECT_NEAR(i[2], -1.0, 1e-12);
  EXPECT_NEAR(i[0], 0.0, 1e-12);
  // Four players, unanimity of {0, 1, 2}: every pair inside gets 1/2 (the third joins half the
  // time, n = 4), pairs with player 3 get 0.
  std::vector<double> w(16);
  for (unsigned s = 0; s < 16; ++s) w[s] = (s & 7u) == 7u ? 1.0 : 0.0;
  i = analysis::shapleyInteractions(w, 4);
  ASSERT_EQ(i.size(), 6u);  // (0,1) (0,2) (0,3) (1,2) (1,3) (2,3)
  EXPECT_NEAR(i[0], 0.5, 1e-12);
  EXPECT_NEAR(i[1], 0.5, 1e-12);
  EXPECT_NEAR(i[2], 0.0, 1e-12);
  EXPECT_NEAR(i[3], 0.5, 1e-12);
  EXPECT_THROW(analysis::shapleyInteractions({1.0, 2.0}, 1), std::invalid_argument);
}

// Issue 31: a ratio of sums with its delta-method interval, and Wilson's interval for a proportion.
TEST(Stats, RatioOfSumsAndWilsonInterval) {
  // b constant: the ratio is mean(a) / b and its interval the t-interval of a / b.
  const std::vector<double> a{1, 2, 3, 4, 5}, b(5, 2.0);
  const auto r = analysis::ratioOfSums(a, b);
  EXPECT_NEAR(r.mean, 1.5, 1e-12);
  std::vector<double> half{0.5, 1, 1.5, 2, 2.5};
  const auto ci = analysis::meanCI(half);
  EXPECT_NEAR(r.low, ci.low, 1e-9);
  EXPECT_NEAR(r.high, ci.high, 1e-9);
  // A unit with b = 0 adds nothing to the ratio: utterances where nothing moves weigh nothing.
  const auto r2 = analysis::ratioOfSums({1, 2, 0.7}, {2, 2, 0});
  EXPECT_NEAR(r2.mean, 3.0 / 4.0 + 0.7 / 4.0, 1e-12);
  EXPECT_NEAR(analysis::ratioOfSums({1, 2, 0}, {2, 2, 0}).mean, 0.75, 1e-12);
  EXPECT_TRUE(std::isnan(analysis::ratioOfSums({1.0}, {0.0}).mean));
  EXPECT_TRUE(std::isnan(analysis::ratioOfSums({1.0}, {2.0}).low));
  // Wilson: 8 of 10 -> [0.4902, 0.9433] (statsmodels' proportion_confint(8, 10, method='wilson')).
  const auto w = analysis::wilsonInterval(8, 10);
  EXPECT_NEAR(w.value, 0.8, 1e-12);
  EXPECT_NEAR(w.low, 0.49016, 1e-4);
  EXPECT_NEAR(w.high, 0.94331, 1e-4);
  const auto all = analysis::wilsonInterval(10, 10);
  EXPECT_NEAR(all.high, 1.0, 1e-12);
  EXPECT_GT(all.low, 0.6);
  EXPECT_TRUE(std::isnan(analysis::wilsonInterval(0, 0).value));
}
