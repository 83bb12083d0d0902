// SPDX-License-Identifier: GPL-3.0-or-later
// The t-SNE engine (issue 5): trustworthiness and neighbours against scikit-learn
// (golden/tsne_golden.json, made by golden/make_tsne_golden.py), the FFT and Barnes-Hut
// repulsion against the exact sums, and properties of whole runs: separated clusters stay
// separated, trustworthiness above a bound, determinism (also across thread counts), cancel.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "mlsan/analysis/tsne.h"
#include "mlsan/data/atomic_file.h"
#include "tsne_detail.h"

using mlsan::analysis::TsneConfig;
using mlsan::analysis::TsneGradient;
using nlohmann::json;

namespace {

const json& golden() {
  static const json j = json::parse(mlsan::data::readFile(std::string(MLSAN_TEST_SOURCE_DIR) + "/golden/tsne_golden.json"));
  return j;
}

/// `clusters` Gaussian blobs in d dimensions, centres far apart; labels out.
std::vector<float> blobs(std::size_t n, std::size_t d, int clusters, double spread, std::uint64_t seed, std::vector<int>& labels) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::vector<double> centres(static_cast<std::size_t>(clusters) * d);
  for (double& c : centres) c = spread * g(rng);
  std::vector<float> x(n * d);
  labels.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    labels[i] = static_cast<int>(i % static_cast<std::size_t>(clusters));
    for (std::size_t k = 0; k < d; ++k) x[i * d + k] = static_cast<float>(centres[static_cast<std::size_t>(labels[i]) * d + k] + g(rng));
  }
  return x;
}

/// Share of points whose nearest neighbour in the layout has their label.
double nearestNeighbourAgreement(const std::vector<float>& y, std::size_t n, int dims, const std::vector<int>& labels) {
  std::size_t agree = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double best = 1e300;
    std::size_t arg = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      double d2 = 0;
      for (int k = 0; k < dims; ++k) d2 += std::pow(y[i * dims + k] - y[j * dims + k], 2);
      if (d2 < best) best = d2, arg = j;
    }
    agree += labels[arg] == labels[i];
  }
  return static_cast<double>(agree) / static_cast<double>(n);
}

/// Smallest distance between two clusters' centroids over the largest cluster radius (mean
/// distance to its centroid): well above 1 when clusters are apart.
double separation(const std::vector<float>& y, std::size_t n, int dims, const std::vector<int>& labels, int clusters) {
  std::vector<double> c(static_cast<std::size_t>(clusters * dims), 0.0), count(static_cast<std::size_t>(clusters), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    count[static_cast<std::size_t>(labels[i])] += 1;
    for (int k = 0; k < dims; ++k) c[static_cast<std::size_t>(labels[i] * dims + k)] += y[i * dims + k];
  }
  for (int a = 0; a < clusters; ++a)
    for (int k = 0; k < dims; ++k) c[static_cast<std::size_t>(a * dims + k)] /= count[static_cast<std::size_t>(a)];
  std::vector<double> radius(static_cast<std::size_t>(clusters), 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    double d2 = 0;
    for (int k = 0; k < dims; ++k) d2 += std::pow(y[i * dims + k] - c[static_cast<std::size_t>(labels[i] * dims + k)], 2);
    radius[static_cast<std::size_t>(labels[i])] += std::sqrt(d2) / count[static_cast<std::size_t>(labels[i])];
  }
  double minCentre = 1e300;
  for (int a = 0; a < clusters; ++a)
    for (int b = a + 1; b < clusters; ++b) {
      double d2 = 0;
      for (int k = 0; k < dims; ++k) d2 += std::pow(c[static_cast<std::size_t>(a * dims + k)] - c[static_cast<std::size_t>(b * dims + k)], 2);
      minCentre = std::min(minCentre, std::sqrt(d2));
    }
  return minCentre / *std::max_element(radius.begin(), radius.end());
}

}  // namespace

TEST(Trustworthiness, MatchesScikitLearn) {
  for (const auto& c : golden().at("cases")) {
    const auto x = c.at("x").get<std::vector<float>>();
    const auto y = c.at("y").get<std::vector<float>>();
    const std::size_t n = c.at("n"), dx = c.at("dx"), dy = c.at("dy");
    EXPECT_NEAR(mlsan::analysis::trustworthiness(x.data(), dx, y.data(), dy, n, 5), c.at("trust5").get<double>(), 1e-9)
        << c.at("name");
    EXPECT_NEAR(mlsan::analysis::trustworthiness(x.data(), dx, y.data(), dy, n, 10), c.at("trust10").get<double>(), 1e-9)
        << c.at("name");
  }
}

TEST(Trustworthiness, RejectsTooManyNeighbours) {
  std::vector<float> x(10 * 2, 0.0f);
  EXPECT_THROW(mlsan::analysis::trustworthiness(x.data(), 2, x.data(), 2, 10, 5), std::invalid_argument);
}

TEST(TsneNeighbours, MatchScikitLearn) {
  for (const auto& c : golden().at("cases")) {
    const auto x = c.at("x").get<std::vector<float>>();
    const std::size_t n = c.at("n"), dx = c.at("dx");
    const auto want = c.at("neighbours6").get<std::vector<std::vector<int>>>();
    for (int threads : {1, 2}) {
      std::vector<int> idx;
      std::vector<float> dist;
      mlsan::analysis::exactNeighbours(x.data(), n, dx, 6, threads, idx, dist);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < 6; ++j) {
          ASSERT_EQ(idx[i * 6 + j], want[i][j]) << c.at("name") << " row " << i;
          if (j) {
            EXPECT_LE(dist[i * 6 + j - 1], dist[i * 6 + j]);
          }
        }
    }
  }
}

TEST(TsneNeighbours, LargeInputAgreesWithBruteForceInDouble) {
  // 700 rows x 37 dims: several query and candidate blocks, a dimension that is not a multiple of 8.
  std::vector<int> labels;
  const auto x = blobs(700, 37, 5, 2.0, 3, labels);
  std::vector<int> idx;
  std::vector<float> dist;
  mlsan::analysis::exactNeighbours(x.data(), 700, 37, 12, 2, idx, dist);
  for (std::size_t i = 0; i < 700; i += 37) {
    std::vector<std::pair<double, int>> all;
    for (std::size_t j = 0; j < 700; ++j) {
      if (j == i) continue;
      double d2 = 0;
      for (std::size_t k = 0; k < 37; ++k) d2 += std::pow(static_cast<double>(x[i * 37 + k]) - x[j * 37 + k], 2);
      all.emplace_back(d2, static_cast<int>(j));
    }
    std::sort(all.begin(), all.end());
    for (std::size_t j = 0; j < 12; ++j) {
      EXPECT_EQ(idx[i * 12 + j], all[j].second) << "row " << i << " rank " << j;
      EXPECT_NEAR(dist[i * 12 + j], all[j].first, 1e-3 * all[j].first + 1e-3);
    }
  }
}

class RepulsionAccuracy : public ::testing::TestWithParam<int> {};

TEST_P(RepulsionAccuracy, FftAndBarnesHutMatchTheExactSums) {
  const int dims = GetParam();
  // A layout like a mid-run t-SNE: clusters spread over a few tens of units.
  std::mt19937_64 rng(11);
  std::normal_distribution<float> g(0, 1);
  const std::size_t n = 2000;
  std::vector<float> y(n * static_cast<std::size_t>(dims));
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < dims; ++k) y[i * dims + k] = 12.0f * static_cast<float>((i % 7) % (k + 2)) + 3.0f * g(rng);
  std::vector<float> exact(y.size()), approx(y.size());
  const double zExact = mlsan::analysis::detail::makeExactRepulsion(2)->compute(y.data(), n, dims, exact.data());
  EXPECT_NEAR(mlsan::analysis::detail::exactZ(y.data(), n, dims, 2) / zExact, 1.0, 1e-5);
  std::vector<std::unique_ptr<mlsan::analysis::detail::Repulsion>> methods;
  methods.push_back(mlsan::analysis::detail::makeBarnesHutRepulsion(0.5, 2));
  if (dims == 2) methods.push_back(mlsan::analysis::detail::makeFftRepulsion(0.8, 20, 6, 2));
  for (auto& m : methods) {
    const double z = m->compute(y.data(), n, dims, approx.data());
    std::printf("%s %d-D: Z ratio %.6f\n", m->name(), dims, z / zExact);
    EXPECT_NEAR(z / zExact, 1.0, 1e-2) << m->name();
    double err = 0, norm = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      err += std::pow(approx[i] - exact[i], 2);
      norm += std::pow(exact[i], 2);
    }
    std::printf("%s %d-D: relative force error %.2e\n", m->name(), dims, std::sqrt(err / norm));
    EXPECT_LT(std::sqrt(err / norm), 2e-2) << m->name() << ": relative error of the repulsive forces";
  }
}

INSTANTIATE_TEST_SUITE_P(Dims, RepulsionAccuracy, ::testing::Values(2, 3));

class TsneRun : public ::testing::TestWithParam<std::tuple<int, TsneGradient>> {};

TEST_P(TsneRun, SeparatedClustersStaySeparatedAndTrustworthy) {
  const auto [dims, gradient] = GetParam();
  std::vector<int> labels;
  const std::size_t n = 600;
  const auto x = blobs(n, 20, 4, 6.0, 5, labels);
  TsneConfig cfg;
  cfg.dims = dims;
  cfg.gradient = gradient;
  cfg.iterations = 500;
  cfg.threads = 2;
  const auto r = mlsan::analysis::runTsne(x.data(), n, 20, cfg);
  ASSERT_EQ(r.layout.size(), n * static_cast<std::size_t>(dims));
  EXPECT_EQ(r.iterations, 500);
  for (float v : r.layout) ASSERT_TRUE(std::isfinite(v));
  EXPECT_GE(nearestNeighbourAgreement(r.layout, n, dims, labels), 0.99) << r.gradient;
  EXPECT_GT(separation(r.layout, n, dims, labels, 4), 2.0) << r.gradient;
  EXPECT_GT(mlsan::analysis::trustworthiness(x.data(), 20, r.layout.data(), static_cast<std::size_t>(dims), n, 10), 0.9) << r.gradient;
  EXPECT_GT(r.klDivergence, 0.0);
  EXPECT_LT(r.klDivergence, 2.0) << r.gradient;
}

INSTANTIATE_TEST_SUITE_P(Gradients, TsneRun,
                         ::testing::Values(std::make_tuple(2, TsneGradient::Exact), std::make_tuple(2, TsneGradient::Fft),
                                           std::make_tuple(2, TsneGradient::BarnesHut), std::make_tuple(3, TsneGradient::Exact),
                                           std::make_tuple(3, TsneGradient::BarnesHut)));

TEST(Tsne, FftAndExactGradientsReachTheSameQuality) {
  std::vector<int> labels;
  const std::size_t n = 800;
  const auto x = blobs(n, 30, 8, 3.0, 9, labels);
  TsneConfig cfg;
  cfg.iterations = 600;
  cfg.threads = 2;
  cfg.gradient = TsneGradient::Exact;
  const auto exact = mlsan::analysis::runTsne(x.data(), n, 30, cfg);
  cfg.gradient = TsneGradient::Fft;
  const auto fft = mlsan::analysis::runTsne(x.data(), n, 30, cfg);
  EXPECT_NEAR(fft.klDivergence, exact.klDivergence, 0.03 * exact.klDivergence);
  const double te = mlsan::analysis::trustworthiness(x.data(), 30, exact.layout.data(), 2, n, 10);
  const double tf = mlsan::analysis::trustworthiness(x.data(), 30, fft.layout.data(), 2, n, 10);
  EXPECT_NEAR(tf, te, 0.01);
}

TEST(Tsne, DeterministicForASeedWhateverTheThreads) {
  std::vector<int> labels;
  const std::size_t n = 1200;  // above the exact threshold: the FFT (2-D) and Barnes-Hut (3-D) paths
  const auto x = blobs(n, 16, 6, 4.0, 21, labels);
  for (int dims : {2, 3}) {
    TsneConfig cfg;
    cfg.dims = dims;
    cfg.iterations = 300;
    cfg.threads = 1;
    const auto a = mlsan::analysis::runTsne(x.data(), n, 16, cfg);
    const auto b = mlsan::analysis::runTsne(x.data(), n, 16, cfg);
    cfg.threads = 2;
    const auto c = mlsan::analysis::runTsne(x.data(), n, 16, cfg);
    EXPECT_EQ(a.layout, b.layout) << dims << "-D, same threads";
    EXPECT_EQ(a.layout, c.layout) << dims << "-D, 1 and 2 threads";
    EXPECT_EQ(a.klDivergence, c.klDivergence);
    cfg.init = mlsan::analysis::TsneInit::Random;
    cfg.seed = 1;
    const auto r1 = mlsan::analysis::runTsne(x.data(), n, 16, cfg);
    cfg.seed = 2;
    const auto r2 = mlsan::analysis::runTsne(x.data(), n, 16, cfg);
    EXPECT_NE(r1.layout, r2.layout) << "the seed drives the random initialisation";
  }
}

TEST(Tsne, ReportsProgressWithPartialLayoutsAndCancels) {
  std::vector<int> labels;
  const auto x = blobs(300, 8, 3, 4.0, 2, labels);
  TsneConfig cfg;
  cfg.iterations = 400;
  cfg.reportEvery = 20;
  int reports = 0;
  std::vector<mlsan::analysis::TsneStage> stages;
  const auto r = mlsan::analysis::runTsne(x.data(), 300, 8, cfg, [&](const mlsan::analysis::TsneProgress& p) {
    stages.push_back(p.stage);
    if (p.stage != mlsan::analysis::TsneStage::Optimising) return true;
    ++reports;
    EXPECT_EQ(p.iteration, 20 * reports);
    EXPECT_NE(p.layout, nullptr);
    EXPECT_EQ(p.n, 300u);
    EXPECT_GT(p.klDivergence, 0.0);
    return p.iteration < 100;  // cancel at the fifth report
  });
  EXPECT_TRUE(r.cancelled);
  EXPECT_EQ(r.iterations, 100);
  EXPECT_EQ(reports, 5);
  EXPECT_EQ(stages.front(), mlsan::analysis::TsneStage::Neighbours);
  EXPECT_EQ(stages.back(), mlsan::analysis::TsneStage::Done);
  EXPECT_EQ(r.layout.size(), 600u);
}

TEST(Tsne, RejectsBadInputWithAClearMessage) {
  std::vector<float> x(40, 1.0f);
  TsneConfig cfg;
  cfg.perplexity = 30;
  try {
    mlsan::analysis::runTsne(x.data(), 20, 2, cfg);
    FAIL() << "perplexity above n accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("perplexity"), std::string::npos);
  }
  cfg.perplexity = 5;
  x[13] = std::nanf("");
  try {
    mlsan::analysis::runTsne(x.data(), 20, 2, cfg);
    FAIL() << "NaN accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 6, column 1"), std::string::npos) << e.what();
  }
  x[13] = 1.0f;
  cfg.dims = 4;
  EXPECT_THROW(mlsan::analysis::runTsne(x.data(), 20, 2, cfg), std::invalid_argument);
  cfg.dims = 3;
  cfg.gradient = TsneGradient::Fft;
  EXPECT_THROW(mlsan::analysis::runTsne(x.data(), 20, 2, cfg), std::invalid_argument);
}

TEST(Tsne, IdenticalPointsDoNotBreakIt) {
  // Duplicates (zero distances) and a constant column: finite output, duplicates together.
  std::vector<float> x;
  for (int i = 0; i < 200; ++i) {
    const float v = static_cast<float>(i % 10);
    x.insert(x.end(), {v, v * 0.5f, 3.0f});
  }
  TsneConfig cfg;
  cfg.perplexity = 10;
  cfg.iterations = 300;
  for (auto g : {TsneGradient::Exact, TsneGradient::Fft, TsneGradient::BarnesHut}) {
    cfg.gradient = g;
    const auto r = mlsan::analysis::runTsne(x.data(), 200, 3, cfg);
    for (float v : r.layout) ASSERT_TRUE(std::isfinite(v)) << r.gradient;
  }
}
