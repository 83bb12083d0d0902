// SPDX-License-Identifier: GPL-3.0-or-later
// The t-SNE driver: affinities (exact neighbours, perplexity calibration by bisection as
// scikit-learn's _binary_search_perplexity, symmetrised and normalised), PCA initialisation,
// and scikit-learn's optimiser (momentum 0.5 then 0.8, gains +0.2 / *0.8 with a floor of
// 0.01, early exaggeration, learning rate "auto"). The attractive forces are summed over the
// sparse P row by row; the repulsive ones come from tsne_repulsion.cpp.
#include "mlsan/analysis/tsne.h"

#include <omp.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

#include "mlsan/analysis/disentangle.h"
#include "tsne_detail.h"

namespace mlsan::analysis {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// A sparse symmetric P in compressed rows.
struct SparseP {
  std::vector<int> rowStart, col;
  std::vector<float> val;
};

/// Conditional probabilities p_{j|i} over each row's k neighbours (squared distances), with the
/// precision found by bisection so that the row's entropy is log(perplexity).
std::vector<float> conditionalP(const std::vector<float>& sqDist, std::size_t n, int k, double perplexity, int threads) {
  std::vector<float> p(sqDist.size());
  const double desired = std::log(perplexity);
  const long nl = static_cast<long>(n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long il = 0; il < nl; ++il) {
    const std::size_t i = static_cast<std::size_t>(il);
    const float* d = &sqDist[i * static_cast<std::size_t>(k)];
    float* row = &p[i * static_cast<std::size_t>(k)];
    double beta = 1, betaMin = -std::numeric_limits<double>::infinity(), betaMax = std::numeric_limits<double>::infinity();
    std::vector<double> pr(static_cast<std::size_t>(k));
    for (int step = 0; step < 100; ++step) {
      double sum = 0;
      for (int j = 0; j < k; ++j) {
        pr[static_cast<std::size_t>(j)] = std::exp(-static_cast<double>(d[j]) * beta);
        sum += pr[static_cast<std::size_t>(j)];
      }
      if (sum == 0) sum = 1e-8;
      double sumDP = 0;
      for (int j = 0; j < k; ++j) {
        pr[static_cast<std::size_t>(j)] /= sum;
        sumDP += d[j] * pr[static_cast<std::size_t>(j)];
      }
      const double diff = std::log(sum) + beta * sumDP - desired;
      if (std::abs(diff) <= 1e-5) break;
      if (diff > 0) {
        betaMin = beta;
        beta = std::isinf(betaMax) ? beta * 2 : 0.5 * (beta + betaMax);
      } else {
        betaMax = beta;
        beta = std::isinf(betaMin) ? beta / 2 : 0.5 * (beta + betaMin);
      }
    }
    for (int j = 0; j < k; ++j) row[j] = static_cast<float>(pr[static_cast<std::size_t>(j)]);
  }
  return p;
}

/// P = (C + C^T) / sum, C the conditional probabilities of the neighbour lists.
SparseP symmetrise(const std::vector<int>& idx, const std::vector<float>& cond, std::size_t n, int k) {
  const std::size_t ku = static_cast<std::size_t>(k);
  std::vector<int> count(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    count[i + 1] += k;
    for (std::size_t j = 0; j < ku; ++j) ++count[static_cast<std::size_t>(idx[i * ku + j]) + 1];
  }
  for (std::size_t i = 0; i < n; ++i) count[i + 1] += count[i];
  std::vector<std::pair<int, float>> entries(static_cast<std::size_t>(count[n]));
  std::vector<int> fill(count.begin(), count.end() - 1);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < ku; ++j) {
      const int nb = idx[i * ku + j];
      const float v = cond[i * ku + j];
      entries[static_cast<std::size_t>(fill[i]++)] = {nb, v};
      entries[static_cast<std::size_t>(fill[static_cast<std::size_t>(nb)]++)] = {static_cast<int>(i), v};
    }
  SparseP p;
  p.rowStart.assign(n + 1, 0);
  p.col.reserve(entries.size());
  p.val.reserve(entries.size());
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto b = entries.begin() + count[i], e = entries.begin() + count[i + 1];
    std::sort(b, e, [](const auto& a, const auto& c) { return a.first < c.first; });
    for (auto it = b; it != e;) {
      const int c = it->first;
      double v = 0;
      for (; it != e && it->first == c; ++it) v += it->second;
      p.col.push_back(c);
      p.val.push_back(static_cast<float>(v));
      total += v;
    }
    p.rowStart[i + 1] = static_cast<int>(p.col.size());
  }
  const double norm = std::max(total, static_cast<double>(std::numeric_limits<double>::epsilon()));
  for (float& v : p.val) v = static_cast<float>(v / norm);
  return p;
}

/// PCA scores scaled so that the first axis has a standard deviation of 1e-4, signs fixed so
/// that each axis's largest absolute score is positive (scikit-learn's svd_flip).
std::vector<float> pcaInit(const float* x, std::size_t n, std::size_t d, int dims, std::uint64_t seed) {
  using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMat> xm(x, static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  const Eigen::RowVectorXf mean = (xm.cast<double>().colwise().sum() / static_cast<double>(n)).cast<float>();
  const RowMat xc = xm.rowwise() - mean;
  const Eigen::MatrixXd cov = (xc.transpose() * xc).cast<double>();
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  const int have = std::min<int>(dims, static_cast<int>(d));
  Eigen::MatrixXf comps(static_cast<Eigen::Index>(d), have);
  for (int c = 0; c < have; ++c) comps.col(c) = eig.eigenvectors().col(static_cast<Eigen::Index>(d) - 1 - c).cast<float>();
  const Eigen::MatrixXf scores = xc * comps;
  std::vector<float> y(n * static_cast<std::size_t>(dims), 0.0f);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> jitter(0.0f, 1.0f);
  for (int c = 0; c < dims; ++c) {
    if (c >= have) {  // fewer input dimensions than output ones
      for (std::size_t i = 0; i < n; ++i) y[i * dims + c] = jitter(rng);
      continue;
    }
    Eigen::Index arg = 0;
    scores.col(c).cwiseAbs().maxCoeff(&arg);
    const float sign = scores(arg, c) < 0 ? -1.0f : 1.0f;
    for (std::size_t i = 0; i < n; ++i) y[i * dims + c] = sign * scores(static_cast<Eigen::Index>(i), c);
  }
  double mean0 = 0, var0 = 0;
  for (std::size_t i = 0; i < n; ++i) mean0 += y[i * dims];
  mean0 /= static_cast<double>(n);
  for (std::size_t i = 0; i < n; ++i) var0 += (y[i * dims] - mean0) * (y[i * dims] - mean0);
  const double sd = std::sqrt(var0 / static_cast<double>(n));
  const float scale = static_cast<float>(sd > 0 ? 1e-4 / sd : 1.0);
  for (float& v : y) v *= scale;
  return y;
}

std::vector<float> randomInit(std::size_t n, int dims, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1e-4f);
  std::vector<float> y(n * static_cast<std::size_t>(dims));
  for (float& v : y) v = g(rng);
  return y;
}

/// Attractive forces sum_j P_ij q_ij (y_i - y_j) (times the exaggeration) in single precision,
/// as scikit-learn computes them.
template <int D>
void attractiveForces(const SparseP& p, const float* y, std::size_t n, float exaggeration, float* attr, int threads) {
  const long nl = static_cast<long>(n);
  const int* rowStart = p.rowStart.data();
  const int* col = p.col.data();
  const float* val = p.val.data();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long il = 0; il < nl; ++il) {
    const std::size_t i = static_cast<std::size_t>(il);
    float yi[D], f[D];
    for (int k = 0; k < D; ++k) {
      yi[k] = y[i * D + k];
      f[k] = 0.0f;
    }
    for (int e = rowStart[i]; e < rowStart[i + 1]; ++e) {
      const float* yj = y + static_cast<std::size_t>(col[e]) * D;
      float diff[D], d2 = 0.0f;
      for (int k = 0; k < D; ++k) {
        diff[k] = yi[k] - yj[k];
        d2 += diff[k] * diff[k];
      }
      const float s = val[e] / (1.0f + d2);
      for (int k = 0; k < D; ++k) f[k] += s * diff[k];
    }
    for (int k = 0; k < D; ++k) attr[i * D + k] = exaggeration * f[k];
  }
}

void attractive(const SparseP& p, const float* y, std::size_t n, int dims, double exaggeration, float* attr, int threads) {
  if (dims == 3) attractiveForces<3>(p, y, n, static_cast<float>(exaggeration), attr, threads);
  else attractiveForces<2>(p, y, n, static_cast<float>(exaggeration), attr, threads);
}

/// KL(P || Q) with P exaggerated and Q = q / z (scikit-learn's formula, tiny values floored).
double klDivergence(const SparseP& p, const float* y, std::size_t n, int dims, double exaggeration, double z, int threads,
                    std::vector<double>& rows) {
  rows.assign(n, 0.0);
  constexpr double kTiny = std::numeric_limits<float>::min();
  const long nl = static_cast<long>(n);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (long il = 0; il < nl; ++il) {
    const std::size_t i = static_cast<std::size_t>(il);
    double kl = 0;
    for (int e = p.rowStart[i]; e < p.rowStart[i + 1]; ++e) {
      const std::size_t j = static_cast<std::size_t>(p.col[static_cast<std::size_t>(e)]);
      double d2 = 0;
      for (int k = 0; k < dims; ++k) {
        const double t = static_cast<double>(y[i * dims + k]) - y[j * dims + k];
        d2 += t * t;
      }
      const double q = 1.0 / (1.0 + d2);
      const double pij = exaggeration * p.val[static_cast<std::size_t>(e)];
      kl += pij * std::log(std::max(pij, kTiny) / std::max(q / z, kTiny));
    }
    rows[i] = kl;
  }
  double kl = 0;
  for (double v : rows) kl += v;
  return kl;
}

/// The symmetric affinities of the rows of x for a perplexity (k = min(n - 1, 3 * perplexity + 1) neighbours).
SparseP affinities(const float* x, std::size_t n, std::size_t d, double perplexity, int threads) {
  const int k = static_cast<int>(std::min<double>(static_cast<double>(n - 1), std::floor(3.0 * perplexity + 1.0)));
  std::vector<int> idx;
  std::vector<float> dist;
  exactNeighbours(x, n, d, k, threads, idx, dist);
  return symmetrise(idx, conditionalP(dist, n, k, perplexity, threads), n, k);
}

}  // namespace

double tsneKlDivergence(const float* x, std::size_t n, std::size_t d, const float* layout, int dims, double perplexity, int threads) {
  if (dims != 2 && dims != 3) throw std::invalid_argument("t-SNE KL: dims must be 2 or 3");
  if (n < 4 || !(perplexity > 0) || perplexity >= static_cast<double>(n))
    throw std::invalid_argument("t-SNE KL: needs at least 4 rows and 0 < perplexity < rows");
  const int t = threads > 0 ? threads : omp_get_max_threads();
  const SparseP p = affinities(x, n, d, perplexity, t);
  std::vector<double> rows;
  return klDivergence(p, layout, n, dims, 1.0, detail::exactZ(layout, n, dims, t), t, rows);
}

const char* tsneStageName(TsneStage stage) {
  switch (stage) {
    case TsneStage::Neighbours: return "neighbours";
    case TsneStage::Affinities: return "affinities";
    case TsneStage::Optimising: return "optimising";
    case TsneStage::Done: return "done";
  }
  return "?";
}

TsneResult runTsne(const float* x, std::size_t n, std::size_t d, const TsneConfig& cfg, const TsneCallback& progress) {
  if (cfg.dims != 2 && cfg.dims != 3) throw std::invalid_argument("t-SNE: dims must be 2 or 3, not " + std::to_string(cfg.dims));
  if (n < 4) throw std::invalid_argument("t-SNE: needs at least 4 rows, got " + std::to_string(n));
  if (d < 1) throw std::invalid_argument("t-SNE: the input has no columns");
  if (!(cfg.perplexity > 0) || cfg.perplexity >= static_cast<double>(n))
    throw std::invalid_argument("t-SNE: perplexity must be positive and below the number of rows (" + std::to_string(n) +
                                "), got " + std::to_string(cfg.perplexity));
  if (cfg.iterations < 1) throw std::invalid_argument("t-SNE: iterations must be at least 1");
  for (std::size_t i = 0; i < n * d; ++i)
    if (!std::isfinite(x[i]))
      throw std::invalid_argument("t-SNE: the input has a non-finite value at row " + std::to_string(i / d) + ", column " +
                                  std::to_string(i % d));
  const int threads = cfg.threads > 0 ? cfg.threads : omp_get_max_threads();
  const int dims = cfg.dims;
  const auto t0 = Clock::now();
  TsneResult result;
  result.n = n;
  result.dims = dims;

  auto report = [&](TsneStage stage, int it, double kl, const float* layout) {
    if (!progress) return true;
    TsneProgress pr;
    pr.stage = stage;
    pr.iteration = it;
    pr.iterations = cfg.iterations;
    pr.klDivergence = kl;
    pr.seconds = since(t0);
    pr.layout = layout;
    pr.n = n;
    pr.dims = dims;
    return progress(pr);
  };

  // Affinities.
  if (!report(TsneStage::Neighbours, 0, -1, nullptr)) {
    result.cancelled = true;
    return result;
  }
  const int k = static_cast<int>(std::min<double>(static_cast<double>(n - 1), std::floor(3.0 * cfg.perplexity + 1.0)));
  std::vector<int> idx;
  std::vector<float> dist;
  exactNeighbours(x, n, d, k, threads, idx, dist);
  result.secondsNeighbours = since(t0);
  if (!report(TsneStage::Affinities, 0, -1, nullptr)) {
    result.cancelled = true;
    return result;
  }
  const auto t1 = Clock::now();
  const SparseP p = symmetrise(idx, conditionalP(dist, n, k, cfg.perplexity, threads), n, k);
  idx.clear();
  dist.clear();
  result.secondsAffinities = since(t1);

  // Layout and optimiser.
  const auto t2 = Clock::now();
  std::vector<float> y = cfg.init == TsneInit::Pca ? pcaInit(x, n, d, dims, cfg.seed) : randomInit(n, dims, cfg.seed);
  TsneGradient method = cfg.gradient;
  if (method == TsneGradient::Auto) method = n < 1000 ? TsneGradient::Exact : (dims == 2 ? TsneGradient::Fft : TsneGradient::BarnesHut);
  if (method == TsneGradient::Fft && dims != 2)
    throw std::invalid_argument("t-SNE: the FFT gradient is 2-D only; use Barnes-Hut (or auto) for 3-D");
  std::unique_ptr<detail::Repulsion> repulsion =
      method == TsneGradient::Exact       ? detail::makeExactRepulsion(threads)
      : method == TsneGradient::BarnesHut ? detail::makeBarnesHutRepulsion(cfg.theta, threads)
                                          : detail::makeFftRepulsion(cfg.intervalsPerUnit, cfg.minIntervals, cfg.stencil, threads);
  result.gradient = repulsion->name();
  const double lr = cfg.learningRate > 0 ? cfg.learningRate : std::max(static_cast<double>(n) / cfg.earlyExaggeration / 4.0, 50.0);
  const std::size_t len = n * static_cast<std::size_t>(dims);
  std::vector<float> rep(len), attr(len), update(len, 0.0f), gains(len, 1.0f);
  std::vector<double> klRows;
  const int reportEvery = std::max(1, cfg.reportEvery);
  int it = 0;
  for (; it < cfg.iterations; ++it) {
    const bool early = it < cfg.exaggerationIterations;
    if (it == cfg.exaggerationIterations) {  // scikit-learn restarts momentum and gains for stage 2
      std::fill(update.begin(), update.end(), 0.0f);
      std::fill(gains.begin(), gains.end(), 1.0f);
    }
    const double exaggeration = early ? cfg.earlyExaggeration : 1.0;
    const double momentum = early ? 0.5 : 0.8;
    const bool reportNow = (it + 1) % reportEvery == 0 && it + 1 < cfg.iterations;
    const double z = repulsion->compute(y.data(), n, dims, rep.data());
    attractive(p, y.data(), n, dims, exaggeration, attr.data(), threads);
    const double kl = reportNow ? klDivergence(p, y.data(), n, dims, exaggeration, z, threads, klRows) : -1;
    for (std::size_t i = 0; i < len; ++i) {
      float g = 4.0f * (attr[i] - rep[i]);
      float& gain = gains[i];
      gain = (update[i] * g < 0.0f) ? gain + 0.2f : gain * 0.8f;
      gain = std::max(gain, 0.01f);
      g *= gain;
      update[i] = static_cast<float>(momentum) * update[i] - static_cast<float>(lr) * g;
      y[i] += update[i];
    }
    if (reportNow && !report(TsneStage::Optimising, it + 1, kl, y.data())) {
      ++it;
      result.cancelled = true;
      break;
    }
  }
  result.iterations = it;
  // KL of the final layout, without exaggeration; with the exact Z up to 30,000 points (the
  // approximations' Z would otherwise shift the figure).
  const double z = n <= 30000 ? detail::exactZ(y.data(), n, dims, threads) : repulsion->compute(y.data(), n, dims, rep.data());
  result.klDivergence = klDivergence(p, y.data(), n, dims, 1.0, z, threads, klRows);
  result.secondsOptimising = since(t2);
  result.seconds = since(t0);
  result.layout = std::move(y);
  report(TsneStage::Done, it, result.klDivergence, result.layout.data());
  return result;
}

double subsampledTrustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n,
                                 std::size_t maxSamples, std::uint64_t seed, int k) {
  const auto pick = subsampleRows(n, maxSamples, seed);
  if (k < 1 || 2.0 * k >= static_cast<double>(pick.size())) return std::nan("");
  std::vector<float> xs, ys;
  xs.reserve(pick.size() * dx);
  ys.reserve(pick.size() * dy);
  for (std::size_t i : pick) {
    xs.insert(xs.end(), x + i * dx, x + (i + 1) * dx);
    ys.insert(ys.end(), y + i * dy, y + (i + 1) * dy);
  }
  return trustworthiness(xs.data(), dx, ys.data(), dy, pick.size(), k);
}

double trustworthiness(const float* x, std::size_t dx, const float* y, std::size_t dy, std::size_t n, int k) {
  if (k < 1 || 2.0 * k >= static_cast<double>(n))
    throw std::invalid_argument("trustworthiness: needs 1 <= k < n / 2 (k = " + std::to_string(k) + ", n = " + std::to_string(n) + ")");
  const std::size_t ku = static_cast<std::size_t>(k);
  double penalty = 0;
  std::vector<std::pair<double, int>> order(n);
  std::vector<int> rank(n);
  // order = every point by its squared distance from row i of m [n x d]; i itself last.
  auto distancesFrom = [&](const float* m, std::size_t d, std::size_t i) {
    for (std::size_t j = 0; j < n; ++j) {
      double s = 0;
      if (j == i) s = std::numeric_limits<double>::infinity();
      else
        for (std::size_t c = 0; c < d; ++c) {
          const double t = static_cast<double>(m[i * d + c]) - m[j * d + c];
          s += t * t;
        }
      order[j] = {s, static_cast<int>(j)};
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    // Rank of every point among i's neighbours in the input (1 = nearest).
    distancesFrom(x, dx, i);
    std::sort(order.begin(), order.end());
    for (std::size_t r = 0; r < n; ++r) rank[static_cast<std::size_t>(order[r].second)] = static_cast<int>(r + 1);
    // i's k nearest in the embedding.
    distancesFrom(y, dy, i);
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(ku), order.end());
    for (std::size_t r = 0; r < ku; ++r) {
      const int excess = rank[static_cast<std::size_t>(order[r].second)] - k;
      if (excess > 0) penalty += excess;
    }
  }
  const double nn = static_cast<double>(n), kk = static_cast<double>(k);
  return 1.0 - penalty * (2.0 / (nn * kk * (2.0 * nn - 3.0 * kk - 1.0)));
}

}  // namespace mlsan::analysis
