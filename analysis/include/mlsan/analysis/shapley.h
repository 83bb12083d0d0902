// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Exact Shapley values of a small cooperative game given by the value of every coalition, and
// the factorial decomposition (main effects, two-way interactions) of the same table. One owner
// for both uses: modality reliance (3 modalities, 8 forward passes) and the factorial ablation
// table (3 components, 8 subsets). Pure functions; any thread.
#include <vector>

namespace mlsan::analysis {

/// `values[mask]` is the value of the coalition whose members are the set bits of `mask`
/// (values.size() == 2^players, players <= 16). Returns phi[i] = sum over coalitions S without i
/// of |S|! (n - |S| - 1)! / n! * (v(S + i) - v(S)). The phis sum to v(all) - v(none) (up to
/// rounding). Throws std::invalid_argument when the size is not 2^players.
std::vector<double> shapleyValues(const std::vector<double>& values, int players);

/// The pairwise Shapley interaction index (Grabisch 1997; Lundberg et al. 2020's SHAP interaction
/// values without their halving): for players i < j, I_ij = sum over coalitions S without i and j
/// of |S|! (n - |S| - 2)! / (n - 1)! * (v(S + i + j) - v(S + i) - v(S + j) + v(S)). Positive: i
/// and j together give more than each alone (synergy, complement); negative: less (redundancy or
/// conflict). Returned in pair order (0,1), (0,2), ..., (1,2), ...: for 3 players (0,1), (0,2),
/// (1,2). Needs players >= 2.
std::vector<double> shapleyInteractions(const std::vector<double>& values, int players);

/// Leave-one-out drops: v(all) - v(all - i), the occlusion measure Shapley is compared with.
std::vector<double> leaveOneOutDrops(const std::vector<double>& values, int players);

/// The 2^n factorial effects of the table: effect[mask] is the interaction of the factors in
/// `mask` in +-1 coding (Yates), i.e. the mean of v over coalitions with an even number of the
/// mask's factors absent minus the mean with an odd number, so effect[1 << i] is factor i's main
/// effect (mean with i minus mean without) and effect[(1 << i) | (1 << j)] the i x j
/// interaction (half the difference between i's effect with j and without j). effect[0] is the
/// grand mean.
std::vector<double> factorialEffects(const std::vector<double>& values, int players);

}  // namespace mlsan::analysis
