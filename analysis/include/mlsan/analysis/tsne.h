// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// t-SNE written for speed: exact nearest neighbours (blocked, AVX2 when the CPU has
// it), sparse perplexity calibration, and the repulsive forces either exactly (small inputs),
// by FFT-accelerated interpolation on a grid (FIt-SNE's method; the 2-D default) or by
// Barnes-Hut (the 3-D default). PCA initialisation, early exaggeration and the gains /
// momentum schedule of scikit-learn's TSNE, so that the two are comparable step for step.
//
// Deterministic: for a given input, configuration and seed the layout is the same bit for bit
// whatever the thread count (every sum has a fixed order). Runs on the calling thread plus
// `threads - 1` OpenMP workers; the progress callback is called on the calling thread and may
// cancel. Pure functions otherwise: any thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace mlsan::analysis {

enum class TsneGradient { Auto, Exact, BarnesHut, Fft };
enum class TsneInit { Pca, Random };

struct TsneConfig {
  int dims = 2;                        ///< 2 or 3
  double perplexity = 30;              ///< neighbours used: min(n - 1, 3 * perplexity + 1)
  int iterations = 1000;               ///< all iterations, early exaggeration included
  int exaggerationIterations = 250;
  double earlyExaggeration = 12;
  double learningRate = 0;             ///< 0 = scikit-learn's "auto": max(n / exaggeration / 4, 50)
  TsneInit init = TsneInit::Pca;       ///< PCA scaled to a first-axis s.d. of 1e-4, as scikit-learn
  TsneGradient gradient = TsneGradient::Auto;  ///< Auto: exact below 1,000 points, else FFT (2-D) or Barnes-Hut (3-D)
  double theta = 0.5;                  ///< Barnes-Hut opening angle
  double intervalsPerUnit = 0.8;       ///< FFT: grid nodes are 1 / (3 * intervalsPerUnit) apart
  int minIntervals = 20;               ///< FFT: at least 3 * minIntervals nodes per axis
  int stencil = 6;                     ///< FFT: each point interpolates from the stencil x stencil nodes around it
  std::uint64_t seed = 1;              ///< random initialisation (and nothing else)
  int threads = 0;                     ///< 0 = all cores
  int reportEvery = 25;                ///< progress callback period, in iterations
};

enum class TsneStage { Neighbours, Affinities, Optimising, Done };

struct TsneProgress {
  TsneStage stage = TsneStage::Neighbours;
  int iteration = 0;                   ///< iterations done (Optimising, Done)
  int iterations = 0;
  double klDivergence = -1;            ///< of the current layout, -1 when not computed at this report
  double seconds = 0;                  ///< since the start
  const float* layout = nullptr;       ///< [n x dims], valid during the call only (Optimising, Done)
  std::size_t n = 0;
  int dims = 0;
};

/// Return false to cancel: runTsne stops at the next iteration and returns the layout so far.
using TsneCallback = std::function<bool(const TsneProgress&)>;

struct TsneResult {
  std::vector<float> layout;           ///< [n x dims], row-major, in input order
  std::size_t n = 0;
  int dims = 0;
  double klDivergence = 0;             ///< KL(P || Q) of the final layout (without exaggeration)
  int iterations = 0;                  ///< iterations run
  bool cancelled = false;
  std::string gradient;                ///< "exact", "barnes-hut" or "fft"
  double secondsNeighbours = 0, secondsAffinities = 0, secondsOptimising = 0, seconds = 0;
};

/// Embeds the rows of a row-major [n x d] matrix. Throws std::invalid_argument for bad
/// arguments (n < 4, dims not 2 or 3, perplexity not below n, non-finite values) naming them.
TsneResult runTsne(const float* x, std::size_t n, std::size_t d, const TsneConfig& config,
                   const TsneCallback& progress = {});

/// KL(P || Q) of any layout [n x dims] of x, with P as runTsne builds it for `perplexity` and
/// Q from the exact normaliser: how another program's layout scores by the same measure.
double tsneKlDivergence(const float* x, std::size_t n, std::size_t d, const float* layout, int dims, double perplexity,
                        int threads = 0);

/// scikit-learn's sklearn.manifold.trustworthiness with the Euclidean metric: 1 minus a
/// normalised sum of how far (in rank) each point's k nearest neighbours in the embedding
/// y [n x dy] are from being among its k nearest in the input x [n x dx]. Needs k < n / 2.
/// O(n^2 (dx + log n)): pass a subsample (subsampleRows) for large n.
double trustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n, int k = 10);
/// trustworthiness() on a fixed subsample of at most `maxSamples` of the n rows (subsampleRows
/// with `seed`), as `mlsan tsne` reports it; NaN when the subsample is too small (k >= samples / 2).
double subsampledTrustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n,
                                 std::size_t maxSamples, std::uint64_t seed, int k = 10);

/// The k nearest neighbours (Euclidean, self excluded) of every row of a row-major [n x d]
/// matrix, exactly, sorted by distance then index. `indices` and `sqDistances` get n * k values.
void exactNeighbours(const float* x, std::size_t n, std::size_t d, int k, int threads, std::vector<int>& indices,
                     std::vector<float>& sqDistances);

const char* tsneStageName(TsneStage stage);

}  // namespace mlsan::analysis
