// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The factorial ablation's analysis: from the test weighted F1 of all 8 subsets of {FiLM, Gate,
// Aux} over the seeds, the factorial effects (main effects, two-way and three-way
// interactions) with paired tests over the seeds, and the Shapley attribution of the gain of
// full ML-SAN over MultiEMO to each component, with a Student-t 95% interval over the seeds
// (n - 1 degrees of freedom; none below 3 seeds: analysis::seedInterval). The
// arithmetic is analysis/shapley.h's (shared with modality reliance). Pure; any thread.
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace mlsan::experiments {

/// The components, in bit order of a configuration's componentMask: FiLM 1, Gate 2, Aux 4.
inline constexpr const char* kComponentKeys[3] = {"film", "gate", "aux"};
inline constexpr const char* kComponentNames[3] = {"FiLM", "Gate", "Aux"};

/// One factorial term: a main effect (one bit) or an interaction (several bits), in +-1 coding:
/// the mean over the cells with an even number of the term's components absent minus the mean
/// over those with an odd number (a main effect is "mean with minus mean without").
struct FactorialTerm {
  int mask = 0;
  std::string key;   ///< "film", "film:gate", "film:gate:aux"
  std::string name;  ///< "FiLM", "FiLM x Gate"
  std::vector<double> perSeed;  ///< the term computed within each complete seed
  double estimate = std::nan(""), std = std::nan("");
  double ciLow = std::nan(""), ciHigh = std::nan("");  ///< t-interval over the seeds (NaN below 3)
  /// Two-sided paired t-test over the seeds of the two halves' means (= one-sample t-test of
  /// the per-seed term against 0); NaN with fewer than 2 seeds.
  double pValue = std::nan("");
};

/// A quantity with its Student-t interval over the per-seed values (NaN below 3 seeds).
struct Attributed {
  std::vector<double> perSeed;
  double value = std::nan(""), ciLow = std::nan(""), ciHigh = std::nan("");
};

struct FactorialAnalysis {
  std::vector<std::uint64_t> seeds;  ///< the seeds whose 8 runs all finished (the analysis uses only these)
  std::vector<FactorialTerm> terms;  ///< FiLM, Gate, Aux, FiLM x Gate, FiLM x Aux, Gate x Aux, FiLM x Gate x Aux
  std::array<Attributed, 3> shapley; ///< FiLM, Gate, Aux: they sum to `gain`
  Attributed gain;                   ///< full ML-SAN minus MultiEMO
  /// The interval: "t", Student's t over the per-seed values with n - 1 degrees of freedom. (A
  /// percentile bootstrap over 3-5 seeds, used until issue 31, covers about 73-82% where 95% is
  /// claimed.)
  std::string interval = "t";
  double level = 0.95;
  std::string note;                  ///< why nothing could be computed ("" when it was)
  bool valid() const { return note.empty(); }
};

/// `cells[mask][s]` is the value of the configuration whose components are `mask`'s bits for the
/// seed `seeds[s]` (NaN when that run is missing). Only seeds with all 8 values are used; with
/// none the result has a `note`. Every interval is analysis::seedInterval of the per-seed values.
FactorialAnalysis analyseFactorial(const std::array<std::vector<double>, 8>& cells, const std::vector<std::uint64_t>& seeds,
                                   double level = 0.95);

}  // namespace mlsan::experiments
