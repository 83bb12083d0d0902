// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/analysis/shapley.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace mlsan::analysis {
namespace {
void checkSize(const std::vector<double>& values, int players) {
  if (players < 1 || players > 16 || values.size() != (std::size_t{1} << players))
    throw std::invalid_argument("shapley: " + std::to_string(values.size()) + " coalition values for " +
                                std::to_string(players) + " players (expected 2^players)");
}
}  // namespace

std::vector<double> shapleyValues(const std::vector<double>& values, int players) {
  checkSize(values, players);
  const unsigned full = (1u << players) - 1;
  // weight(s) = s! (n - s - 1)! / n!
  std::vector<double> weight(players);
  for (int s = 0; s < players; ++s)
    weight[s] = std::exp(std::lgamma(s + 1.0) + std::lgamma(players - s + 0.0) - std::lgamma(players + 1.0));
  std::vector<double> phi(players, 0.0);
  for (int i = 0; i < players; ++i) {
    const unsigned bit = 1u << i;
    for (unsigned s = 0; s <= full; ++s) {
      if (s & bit) continue;
      phi[i] += weight[__builtin_popcount(s)] * (values[s | bit] - values[s]);
    }
  }
  return phi;
}

std::vector<double> shapleyInteractions(const std::vector<double>& values, int players) {
  checkSize(values, players);
  if (players < 2) throw std::invalid_argument("shapley interactions: needs at least 2 players");
  const unsigned full = (1u << players) - 1;
  // weight(s) = s! (n - s - 2)! / (n - 1)!
  std::vector<double> weight(static_cast<std::size_t>(players - 1));
  for (int s = 0; s + 2 <= players; ++s)
    weight[static_cast<std::size_t>(s)] = std::exp(std::lgamma(s + 1.0) + std::lgamma(players - s - 1.0) - std::lgamma(players + 0.0));
  std::vector<double> out;
  for (int i = 0; i < players; ++i)
    for (int j = i + 1; j < players; ++j) {
      const unsigned bi = 1u << i, bj = 1u << j;
      double sum = 0;
      for (unsigned s = 0; s <= full; ++s) {
        if (s & (bi | bj)) continue;
        sum += weight[static_cast<std::size_t>(__builtin_popcount(s))] * (values[s | bi | bj] - values[s | bi] - values[s | bj] + values[s]);
      }
      out.push_back(sum);
    }
  return out;
}

std::vector<double> leaveOneOutDrops(const std::vector<double>& values, int players) {
  checkSize(values, players);
  const unsigned full = (1u << players) - 1;
  std::vector<double> drop(players);
  for (int i = 0; i < players; ++i) drop[i] = values[full] - values[full & ~(1u << i)];
  return drop;
}

std::vector<double> factorialEffects(const std::vector<double>& values, int players) {
  checkSize(values, players);
  const std::size_t n = values.size();
  std::vector<double> effect(n, 0.0);
  for (std::size_t e = 0; e < n; ++e) {
    double sum = 0;
    for (std::size_t s = 0; s < n; ++s) {
      // +1 when an even number of e's factors are absent from s.
      const int absent = __builtin_popcount(static_cast<unsigned>(e & ~s));
      sum += (absent % 2 == 0 ? 1.0 : -1.0) * values[s];
    }
    effect[e] = e == 0 ? sum / n : sum / (n / 2.0);
  }
  return effect;
}

}  // namespace mlsan::analysis
