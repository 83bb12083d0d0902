// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/factorial.h"

#include <algorithm>

#include "mlsan/analysis/shapley.h"
#include "mlsan/analysis/stats.h"

namespace mlsan::experiments {

namespace {
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
                                   double level) {
  FactorialAnalysis a;
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
    const auto ci = analysis::seedInterval(t.perSeed, level);
    t.estimate = ci.mean;
    t.ciLow = ci.low;
    t.ciHigh = ci.high;
    if (n >= 2) {
      t.std = ci.std;
      t.pValue = analysis::pairedTTest(t.perSeed, std::vector<double>(n, 0.0)).pValue;
    }
    a.terms.push_back(std::move(t));
  }
  auto attribute = [level](Attributed& x) {
    const auto ci = analysis::seedInterval(x.perSeed, level);
    x.value = ci.mean;
    x.ciLow = ci.low;
    x.ciHigh = ci.high;
  };
  for (int i = 0; i < 3; ++i) {
    for (std::size_t s = 0; s < n; ++s) a.shapley[i].perSeed.push_back(phis[s][i]);
    attribute(a.shapley[i]);
  }
  for (std::size_t s = 0; s < n; ++s) a.gain.perSeed.push_back(blocks[s][7] - blocks[s][0]);
  attribute(a.gain);
  return a;
}

}  // namespace mlsan::experiments
