// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internals of the t-SNE engine shared by its source files (not installed).
#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

namespace mlsan::analysis::detail {

/// Repulsive forces of t-SNE's gradient for a layout y [n x dims]: for every point,
/// rep_i = sum_j q_ij^2 (y_i - y_j) / Z with q_ij = 1 / (1 + |y_i - y_j|^2) and
/// Z = sum_{i != j} q_ij. Implementations keep scratch space between calls.
class Repulsion {
 public:
  virtual ~Repulsion() = default;
  /// Writes rep [n x dims] and returns Z.
  virtual double compute(const float* y, std::size_t n, int dims, float* rep) = 0;
  virtual const char* name() const = 0;
};

std::unique_ptr<Repulsion> makeExactRepulsion(int threads);
std::unique_ptr<Repulsion> makeBarnesHutRepulsion(double theta, int threads);
/// Grid nodes 1 / (3 * intervalsPerUnit) apart (at least 3 * minIntervals a side); each point
/// interpolates from the stencil x stencil nodes around it.
std::unique_ptr<Repulsion> makeFftRepulsion(double intervalsPerUnit, int minIntervals, int stencil, int threads);

/// Z = sum_{i != j} 1 / (1 + |y_i - y_j|^2) exactly (O(n^2), vectorised): for the final KL.
double exactZ(const float* y, std::size_t n, int dims, int threads);

/// The smallest integer >= n whose only prime factors are 2, 3 and 5.
int nextSmooth(int n);

}  // namespace mlsan::analysis::detail
