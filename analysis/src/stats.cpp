// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/analysis/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace mlsan::analysis {

MeanStd meanStd(const std::vector<double>& v) {
  MeanStd r;
  r.n = static_cast<int>(v.size());
  if (v.empty()) return r;
  double s = 0;
  for (double x : v) s += x;
  r.mean = s / v.size();
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - r.mean) * (x - r.mean);
    r.std = std::sqrt(ss / (v.size() - 1));
  }
  return r;
}

namespace {
// Lentz's continued fraction for the incomplete beta (Numerical Recipes' betacf, rewritten).
double betaContinuedFraction(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const int m2 = 2 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < eps) break;
  }
  return h;
}
}  // namespace

double incompleteBeta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double lbt = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double bt = std::exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return bt * betaContinuedFraction(a, b, x) / a;
  return 1 - bt * betaContinuedFraction(b, a, 1 - x) / b;
}

double studentTwoSidedP(double t, double df) {
  if (!std::isfinite(t)) return 0;
  return incompleteBeta(df / 2, 0.5, df / (df + t * t));
}

TestResult pairedTTest(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) throw std::invalid_argument("pairedTTest: samples differ in size");
  if (a.size() < 2) throw std::invalid_argument("pairedTTest: needs at least 2 pairs");
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = a[i] - b[i];
  const MeanStd ms = meanStd(d);
  TestResult r;
  r.df = static_cast<double>(d.size() - 1);
  if (ms.std == 0) {
    r.statistic = ms.mean == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), ms.mean);
    r.pValue = ms.mean == 0 ? 1 : 0;
    return r;
  }
  r.statistic = ms.mean / (ms.std / std::sqrt(static_cast<double>(d.size())));
  r.pValue = studentTwoSidedP(r.statistic, r.df);
  return r;
}

TestResult welchTTest(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() < 2 || b.size() < 2) throw std::invalid_argument("welchTTest: needs at least 2 values on each side");
  const MeanStd ma = meanStd(a), mb = meanStd(b);
  const double va = ma.std * ma.std / a.size(), vb = mb.std * mb.std / b.size();
  TestResult r;
  const double diff = ma.mean - mb.mean;
  if (va + vb == 0) {
    r.statistic = diff == 0 ? 0 : std::copysign(std::numeric_limits<double>::infinity(), diff);
    r.pValue = diff == 0 ? 1 : 0;
    r.df = static_cast<double>(a.size() + b.size() - 2);
    return r;
  }
  r.statistic = diff / std::sqrt(va + vb);
  r.df = (va + vb) * (va + vb) / (va * va / (a.size() - 1.0) + vb * vb / (b.size() - 1.0));
  r.pValue = studentTwoSidedP(r.statistic, r.df);
  return r;
}

double studentQuantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) throw std::invalid_argument("studentQuantile: p must be in (0, 1) and df > 0");
  if (p == 0.5) return 0;
  // P(T <= x) for x > 0 is 1 - p2(x)/2, with p2 the two-sided p; bisection on x in [0, hi].
  const double q = p > 0.5 ? p : 1 - p;
  double lo = 0, hi = 1;
  while (1 - studentTwoSidedP(hi, df) / 2 < q) hi *= 2;
  for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = (lo + hi) / 2;
    if (1 - studentTwoSidedP(mid, df) / 2 < q) lo = mid;
    else hi = mid;
  }
  const double x = (lo + hi) / 2;
  return p > 0.5 ? x : -x;
}

MeanCI ratioOfSums(const std::vector<double>& a, const std::vector<double>& b, double level) {
  if (a.size() != b.size()) throw std::invalid_argument("ratio of sums: the two lists differ in length");
  const double nan = std::nan("");
  MeanCI r;
  r.n = static_cast<int>(a.size());
  double sa = 0, sb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) { sa += a[i]; sb += b[i]; }
  r.low = r.high = nan;
  if (sb == 0) {
    r.mean = r.std = nan;
    return r;
  }
  r.mean = sa / sb;
  r.std = nan;
  if (r.n < 2) return r;
  const double n = r.n, meanB = sb / n;
  double ss = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double e = a[i] - r.mean * b[i];
    ss += e * e;
  }
  const double se = std::sqrt(ss / (n * (n - 1))) / std::fabs(meanB);
  r.std = se;  // the standard error of the ratio
  const double half = studentQuantile(0.5 + level / 2, n - 1) * se;
  r.low = r.mean - half;
  r.high = r.mean + half;
  return r;
}

Proportion wilsonInterval(long k, long n, double level) {
  Proportion p;
  p.k = k;
  p.n = n;
  if (n <= 0) {
    p.value = p.low = p.high = std::nan("");
    return p;
  }
  // z, the normal quantile of 0.5 + level / 2, by bisection on Phi(x) = erfc(-x / sqrt 2) / 2.
  double lo = 0, hi = 40;
  for (int it = 0; it < 200; ++it) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < 0.5 + level / 2 ? lo : hi) = mid;
  }
  const double z = (lo + hi) / 2;
  const double f = static_cast<double>(k) / n, z2 = z * z;
  const double centre = (f + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z / (1 + z2 / n) * std::sqrt(f * (1 - f) / n + z2 / (4.0 * n * n));
  p.value = f;
  p.low = std::max(0.0, centre - half);
  p.high = std::min(1.0, centre + half);
  return p;
}

MeanCI seedInterval(const std::vector<double>& perSeed, double level) {
  MeanCI r = meanCI(perSeed, level);
  if (r.n < kMinSeedsForInterval) r.low = r.high = std::nan("");
  return r;
}

MeanCI meanCI(const std::vector<double>& values, double level) {
  const MeanStd ms = meanStd(values);
  MeanCI r;
  r.mean = ms.mean;
  r.std = ms.std;
  r.n = ms.n;
  r.low = r.high = ms.mean;
  if (ms.n >= 2) {
    const double half = studentQuantile(0.5 + level / 2, ms.n - 1.0) * ms.std / std::sqrt(static_cast<double>(ms.n));
    r.low = ms.mean - half;
    r.high = ms.mean + half;
  }
  return r;
}

TestResult mcnemar(const std::vector<int>& gold, const std::vector<int>& predA, const std::vector<int>& predB) {
  if (gold.size() != predA.size() || gold.size() != predB.size())
    throw std::invalid_argument("mcnemar: gold and predictions differ in length");
  long b = 0, c = 0;
  for (std::size_t i = 0; i < gold.size(); ++i) {
    const bool ra = predA[i] == gold[i], rb = predB[i] == gold[i];
    if (ra && !rb) ++b;
    if (!ra && rb) ++c;
  }
  TestResult r;
  r.statistic = static_cast<double>(b);
  r.df = static_cast<double>(b + c);
  const long n = b + c;
  if (n == 0) { r.pValue = 1; return r; }
  // Two-sided exact binomial: 2 * P(X <= min(b, c)), X ~ Bin(n, 1/2), capped at 1.
  // P(X <= k) = I_{1/2}(n - k, k + 1).
  const long k = std::min(b, c);
  const double cdf = (k >= n) ? 1.0 : incompleteBeta(static_cast<double>(n - k), static_cast<double>(k + 1), 0.5);
  r.pValue = std::min(1.0, 2 * cdf);
  return r;
}

}  // namespace mlsan::analysis
