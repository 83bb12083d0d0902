// SPDX-License-Identifier: GPL-3.0-or-later
// Metrics and significance tests against scikit-learn's and SciPy's own answers
// (golden/metrics_golden.json, made by golden/make_metrics_golden.py).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "mlsan/analysis/metrics.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/data/atomic_file.h"

using nlohmann::json;
namespace an = mlsan::analysis;

static const json& golden() {
  static const json j = json::parse(mlsan::data::readFile(std::string(MLSAN_TEST_SOURCE_DIR) + "/golden/metrics_golden.json"));
  return j;
}

TEST(Metrics, MatchScikitLearnOnEveryGoldenCase) {
  const auto& cases = golden().at("classification");
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.at("name").get<std::string>());
    const auto yt = c.at("y_true").get<std::vector<int>>();
    const auto yp = c.at("y_pred").get<std::vector<int>>();
    const auto r = an::classificationReport(yt, yp);
    EXPECT_EQ(r.labels, c.at("labels").get<std::vector<int>>());
    EXPECT_NEAR(r.accuracy, c.at("accuracy").get<double>(), 1e-12);
    EXPECT_NEAR(r.weightedF1, c.at("weighted_f1").get<double>(), 1e-12);
    EXPECT_NEAR(r.macroF1, c.at("macro_f1").get<double>(), 1e-12);
    const auto p = c.at("precision").get<std::vector<double>>();
    const auto rc = c.at("recall").get<std::vector<double>>();
    const auto f = c.at("f1").get<std::vector<double>>();
    const auto s = c.at("support").get<std::vector<long>>();
    ASSERT_EQ(r.f1.size(), f.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
      EXPECT_NEAR(r.precision[i], p[i], 1e-12);
      EXPECT_NEAR(r.recall[i], rc[i], 1e-12);
      EXPECT_NEAR(r.f1[i], f[i], 1e-12);
      EXPECT_EQ(r.support[i], s[i]);
    }
    EXPECT_EQ(r.confusion, c.at("confusion").get<std::vector<std::vector<long>>>());
  }
}

TEST(Metrics, RejectsMismatchedOrEmptyInput) {
  EXPECT_THROW(an::classificationReport({0, 1}, {0}), std::invalid_argument);
  EXPECT_THROW(an::classificationReport({}, {}), std::invalid_argument);
}

TEST(Metrics, RowNormalisedRowsSumToOneAndZeroRowsStayZero) {
  const auto n = an::rowNormalised({{2, 2}, {0, 0}, {1, 3}});
  EXPECT_DOUBLE_EQ(n[0][0], 0.5);
  EXPECT_DOUBLE_EQ(n[1][0], 0.0);
  EXPECT_DOUBLE_EQ(n[2][1], 0.75);
}

TEST(Stats, PairedTTestMatchesScipy) {
  for (const auto& c : golden().at("ttest_rel")) {
    const auto r = an::pairedTTest(c.at("a").get<std::vector<double>>(), c.at("b").get<std::vector<double>>());
    EXPECT_NEAR(r.statistic, c.at("t").get<double>(), 1e-9 * std::max(1.0, std::fabs(c.at("t").get<double>())));
    EXPECT_NEAR(r.pValue, c.at("p").get<double>(), 1e-10);
  }
}

TEST(Stats, McNemarExactMatchesScipyBinomtest) {
  for (const auto& c : golden().at("binomtest_two_sided")) {
    const int k = c.at("k"), n = c.at("n");
    // Build predictions with k "A right, B wrong" and n - k "A wrong, B right" pairs, plus agreements.
    std::vector<int> gold, a, b;
    for (int i = 0; i < k; ++i) { gold.push_back(1); a.push_back(1); b.push_back(0); }
    for (int i = 0; i < n - k; ++i) { gold.push_back(1); a.push_back(0); b.push_back(1); }
    for (int i = 0; i < 10; ++i) { gold.push_back(2); a.push_back(2); b.push_back(2); }
    const auto r = an::mcnemar(gold, a, b);
    EXPECT_EQ(r.df, n);
    EXPECT_NEAR(r.pValue, c.at("p").get<double>(), 1e-10) << "k=" << k << " n=" << n;
  }
}

TEST(Stats, MeanStdUsesSampleStandardDeviation) {
  const auto m = an::meanStd({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(m.mean, 2.5);
  EXPECT_NEAR(m.std, 1.2909944487358056, 1e-12);
  EXPECT_EQ(an::meanStd({5}).std, 0);
}

TEST(Stats, ConstantDifferencesAreDecisive) {
  EXPECT_EQ(an::pairedTTest({2, 3, 4}, {1, 2, 3}).pValue, 0);
  EXPECT_EQ(an::pairedTTest({2, 3, 4}, {2, 3, 4}).pValue, 1);
  EXPECT_THROW(an::pairedTTest({1}, {2}), std::invalid_argument);
}
