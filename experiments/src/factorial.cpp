// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/factorial.h"

#include <algorithm>
#include <random>

#include "mlsan/analysis/shapley.h"
#include "mlsan/analysis/stats.h"

namespace mlsan::experiments {

namespace {
/// Linear-interpolated quantile (numpy's default) of sorted values.
double quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / static_cast<double>(v.size());
}

std::string termKey(int mask) {
  std::string k;
  for (int i = 0; i < 3; ++i)
    if (mask & (1 << i)) k += (k.empty() ? "" : ":") + std::string(kComponentKeys[i]);
  return k;
}
std::string termName(int mask) {
  std::string k;
  for (int i = 0; i < 3; ++i)
    if (mask & (1 << i)) k += (k.empty() ? "" : " x ") + std::string(kComponentNames[i]);
  return k;
}
}  // namespace

FactorialAnalysis analyseFactorial(const std::array<std::vector<double>, 8>& cells, const std::vector<std::uint64_t>& seeds,
                                   int resamples, std::uint64_t bootstrapSeed, double level) {
  FactorialAnalysis a;
  a.resamples = resamples;
  a.bootstrapSeed = bootstrapSeed;
  a.level = level;
  // The seeds whose eight runs are all there.
  std::vector<std::array<double, 8>> blocks;
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    std::array<double, 8> b{};
    bool complete = true;
    for (int m = 0; m < 8; ++m) {
      b[m] = s < cells[m].size() ? cells[m][s] : std::nan("");
      complete = complete && std::isfinite(b[m]);
    }
    if (!complete) continue;
    blocks.push_back(b);
    a.seeds.push_back(seeds[s]);
  }
  if (blocks.empty()) {
    a.note = "no seed has all 8 runs finished";
    return a;
  }
  const std::size_t n = blocks.size();
  // Per seed: the factorial effects and the Shapley values of that seed's 8 runs.
  std::vector<std::vector<double>> effects(n), phis(n);
  for (std::size_t s = 0; s < n; ++s) {
    const std::vector<double> v(blocks[s].begin(), blocks[s].end());
    effects[s] = analysis::factorialEffects(v, 3);
    phis[s] = analysis::shapleyValues(v, 3);
  }
  for (int mask : {1, 2, 4, 3, 5, 6, 7}) {
    FactorialTerm t;
    t.mask = mask;
    t.key = termKey(mask);
    t.name = termName(mask);
    for (std::size_t s = 0; s < n; ++s) t.perSeed.push_back(effects[s][mask]);
    const auto ms = analysis::meanStd(t.perSeed);
    t.estimate = ms.mean;
    if (n >= 2) {
      t.std = ms.std;
      t.pValue = analysis::pairedTTest(t.perSeed, std::vector<double>(n, 0.0)).pValue;
    }
    a.terms.push_back(std::move(t));
  }
  for (int i = 0; i < 3; ++i) {
    for (std::size_t s = 0; s < n; ++s) a.shapley[i].perSeed.push_back(phis[s][i]);
    a.shapley[i].value = mean(a.shapley[i].perSeed);
  }
  for (std::size_t s = 0; s < n; ++s) a.gain.perSeed.push_back(blocks[s][7] - blocks[s][0]);
  a.gain.value = mean(a.gain.perSeed);

  // Bootstrap over seeds: one draw of seeds serves all four quantities, so they stay consistent
  // (each resample's three Shapley values sum to its gain).
  std::mt19937_64 rng(bootstrapSeed);
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  std::array<std::vector<double>, 4> boot;
  for (auto& b : boot) b.reserve(static_cast<std::size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    std::array<double, 4> sum{};
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t s = pick(rng);
      for (int i = 0; i < 3; ++i) sum[i] += phis[s][i];
      sum[3] += blocks[s][7] - blocks[s][0];
    }
    for (int i = 0; i < 4; ++i) boot[i].push_back(sum[i] / static_cast<double>(n));
  }
  const double tail = (1 - level) / 2;
  for (int i = 0; i < 4; ++i) {
    std::sort(boot[i].begin(), boot[i].end());
    Attributed& x = i < 3 ? a.shapley[i] : a.gain;
    x.ciLow = quantile(boot[i], tail);
    x.ciHigh = quantile(boot[i], 1 - tail);
  }
  return a;
}

}  // namespace mlsan::experiments
