// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Summary statistics and paired significance tests. Pure functions; any thread.
#include <vector>

namespace mlsan::analysis {

struct MeanStd {
  double mean = 0, std = 0;  ///< std is the sample standard deviation (n - 1), 0 for n < 2
  int n = 0;
};
MeanStd meanStd(const std::vector<double>& values);

struct TestResult {
  double statistic = 0;  ///< t for the t-test; b, the count of A-right-B-wrong, for McNemar
  double pValue = 1;     ///< two-sided
  double df = 0;         ///< degrees of freedom (t-test); discordant pairs b + c (McNemar)
};

/// Paired two-sided t-test on a[i] - b[i] (scipy.stats.ttest_rel). Needs n >= 2; identical
/// differences with zero variance give p = 0 when the mean differs from 0, else 1.
TestResult pairedTTest(const std::vector<double>& a, const std::vector<double>& b);

/// McNemar's exact test (two-sided binomial on the discordant pairs) on two classifiers'
/// predictions against the same gold labels.
TestResult mcnemar(const std::vector<int>& gold, const std::vector<int>& predA, const std::vector<int>& predB);

/// Welch's two-sided t-test of mean(a) - mean(b) with unequal variances (scipy.stats.ttest_ind
/// with equal_var=False). Needs at least 2 values on each side.
TestResult welchTTest(const std::vector<double>& a, const std::vector<double>& b);

/// A mean with its two-sided confidence interval from Student's t (mean +- t * s / sqrt(n)).
/// n < 2: low = high = mean.
struct MeanCI {
  double mean = 0, std = 0, low = 0, high = 0;
  int n = 0;
};
MeanCI meanCI(const std::vector<double>& values, double level = 0.95);

/// The fewest seeds an interval over seeds is given for: below it the interval is not printed
/// (a t-interval on 2 values spans +-12.7 s.d.; on 1 it does not exist).
inline constexpr int kMinSeedsForInterval = 3;
/// The interval over seeds of a per-seed quantity: meanCI's Student-t interval (n - 1 degrees of
/// freedom) with `low` and `high` NaN when there are fewer than kMinSeedsForInterval values. The
/// one rule for every over-seed interval the CLI, the JSON and the studio show.
MeanCI seedInterval(const std::vector<double>& perSeed, double level = 0.95);

/// A ratio of sums, sum(a) / sum(b), over n units (utterances) with its standard error by the
/// delta method (the ratio estimator: se^2 = sum((a - R b)^2) / (n (n - 1) mean(b)^2)) and a
/// Student-t interval with n - 1 degrees of freedom. Units where b is small weigh little, as they
/// should when b is how much there is to share. n < 2 or sum(b) = 0: NaN bounds (value NaN too
/// when sum(b) = 0).
MeanCI ratioOfSums(const std::vector<double>& a, const std::vector<double>& b, double level = 0.95);

/// A proportion k / n with Wilson's score interval (n = 0: NaN everything).
struct Proportion {
  double value = 0, low = 0, high = 0;
  long k = 0, n = 0;
};
Proportion wilsonInterval(long k, long n, double level = 0.95);

/// The quantile of Student's t with `df` degrees of freedom: P(T <= x) = p, for p in (0, 1).
double studentQuantile(double p, double df);

/// Regularised incomplete beta I_x(a, b) (continued fraction; |error| < 1e-12).
double incompleteBeta(double a, double b, double x);
/// Two-sided p-value of Student's t with `df` degrees of freedom.
double studentTwoSidedP(double t, double df);

}  // namespace mlsan::analysis
