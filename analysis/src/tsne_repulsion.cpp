// SPDX-License-Identifier: GPL-3.0-or-later
// The repulsive half of t-SNE's gradient, three ways:
// - exact, O(n^2), for small inputs and as the reference in tests;
// - Barnes-Hut on a quad/octree rebuilt every iteration (scikit-learn's criterion:
//   cell width^2 < theta^2 * distance^2 to the cell's centre of mass);
// - FFT-accelerated interpolation (after Linderman et al., FIt-SNE), 2-D: a uniform grid of
//   nodes covers the layout; every point spreads its charges (1, y_x, y_y, |y|^2) to the
//   p x p nodes around it with Lagrange weights (a centred stencil: FIt-SNE's boxes extrapolate
//   at their edges, which costs accuracy), the node charges are convolved with the kernel
//   1 / (1 + r^2)^2 by FFT (the grid is uniform, so the kernel matrix is Toeplitz), and the
//   potentials are interpolated back. With K = 1/(1+r^2):
//   sum_j K_ij = sum_j K_ij^2 (1 + |y_i|^2 - 2 y_i.y_j + |y_j|^2), so the four channels give
//   both the forces and Z. Spreading runs in two waves of row groups that cannot overlap, so no
//   sum depends on the thread count. With 6 x 6 stencils and nodes 0.42 apart (the defaults)
//   the forces are within about 1% of the exact ones (tests/test_tsne.cpp measures it).
#include <omp.h>

#include <unsupported/Eigen/FFT>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "tsne_detail.h"

namespace mlsan::analysis::detail {

int nextSmooth(int n) {
  for (int m = std::max(1, n);; ++m) {
    int r = m;
    for (int p : {2, 3, 5})
      while (r % p == 0) r /= p;
    if (r == 1) return m;
  }
}

namespace {
int threadCount(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }
}  // namespace

double exactZ(const float* y, std::size_t n, int dims, int threads) {
  // Coordinates by axis, so the inner loop runs over contiguous floats.
  std::vector<float> axis(n * static_cast<std::size_t>(dims));
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < dims; ++k) axis[static_cast<std::size_t>(k) * n + i] = y[i * static_cast<std::size_t>(dims) + static_cast<std::size_t>(k)];
  const float* ax = axis.data();
  const float* ay = ax + n;
  const float* az = dims == 3 ? ay + n : nullptr;
  std::vector<double> rows(n, 0.0);
  const long nl = static_cast<long>(n);
#pragma omp parallel for num_threads(threadCount(threads)) schedule(dynamic, 64)
  for (long il = 0; il < nl; ++il) {
    const std::size_t i = static_cast<std::size_t>(il);
    const float xi = ax[i], yi = ay[i], zi = az ? az[i] : 0.0f;
    float acc = 0.0f;
    if (az) {
#pragma omp simd reduction(+ : acc)
      for (std::size_t j = i + 1; j < n; ++j) {
        const float dx = xi - ax[j], dy = yi - ay[j], dz = zi - az[j];
        acc += 1.0f / (1.0f + dx * dx + dy * dy + dz * dz);
      }
    } else {
#pragma omp simd reduction(+ : acc)
      for (std::size_t j = i + 1; j < n; ++j) {
        const float dx = xi - ax[j], dy = yi - ay[j];
        acc += 1.0f / (1.0f + dx * dx + dy * dy);
      }
    }
    rows[i] = acc;
  }
  double z = 0;
  for (double v : rows) z += v;
  return 2.0 * z;
}

namespace {

// ---------------------------------------------------------------------------------------------
class ExactRepulsion final : public Repulsion {
 public:
  explicit ExactRepulsion(int threads) : threads_(threadCount(threads)) {}
  const char* name() const override { return "exact"; }
  double compute(const float* y, std::size_t n, int dims, float* rep) override {
    z_.assign(n, 0.0);
    f_.assign(n * static_cast<std::size_t>(dims), 0.0);
    const long nl = static_cast<long>(n);
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 16)
    for (long il = 0; il < nl; ++il) {
      const std::size_t i = static_cast<std::size_t>(il);
      double f[3] = {0, 0, 0};
      double zi = 0;
      for (std::size_t j = 0; j < n; ++j) {
        if (j == i) continue;
        double d2 = 0, diff[3];
        for (int k = 0; k < dims; ++k) {
          diff[k] = static_cast<double>(y[i * dims + k]) - y[j * dims + k];
          d2 += diff[k] * diff[k];
        }
        const double q = 1.0 / (1.0 + d2);
        zi += q;
        for (int k = 0; k < dims; ++k) f[k] += q * q * diff[k];
      }
      z_[i] = zi;
      for (int k = 0; k < dims; ++k) f_[i * dims + k] = f[k];
    }
    double z = 0;
    for (double v : z_) z += v;
    for (std::size_t i = 0; i < n * static_cast<std::size_t>(dims); ++i) rep[i] = static_cast<float>(f_[i] / z);
    return z;
  }

 private:
  int threads_;
  std::vector<double> z_, f_;
};

// ---------------------------------------------------------------------------------------------
template <int D>
class BarnesHut final : public Repulsion {
 public:
  BarnesHut(double theta, int threads) : theta2_(theta * theta), threads_(threadCount(threads)) {}
  const char* name() const override { return "barnes-hut"; }

  double compute(const float* y, std::size_t n, int dims, float* rep) override {
    if (dims != D) throw std::logic_error("Barnes-Hut: dimension mismatch");
    build(y, n);
    forces_.assign(n * D, 0.0);
    z_.assign(n, 0.0);
    const long nl = static_cast<long>(n);
#pragma omp parallel num_threads(threads_)
    {
      std::vector<int> stack;
      stack.reserve(256);
#pragma omp for schedule(dynamic, 128)
      for (long pl = 0; pl < nl; ++pl) {
        const int i = perm_[static_cast<std::size_t>(pl)];
        double yi[D];
        for (int k = 0; k < D; ++k) yi[k] = y[static_cast<std::size_t>(i) * D + k];
        double f[D] = {};
        double zi = 0;
        stack.clear();
        stack.push_back(0);
        while (!stack.empty()) {
          const Node& node = nodes_[static_cast<std::size_t>(stack.back())];
          stack.pop_back();
          double diff[D], d2 = 0;
          for (int k = 0; k < D; ++k) {
            diff[k] = yi[k] - node.com[k];
            d2 += diff[k] * diff[k];
          }
          const double w = 2.0 * node.half;
          if (node.leaf() ? false : (w * w < theta2_ * d2)) {
            const double q = 1.0 / (1.0 + d2);
            zi += node.count * q;
            const double s = node.count * q * q;
            for (int k = 0; k < D; ++k) f[k] += s * diff[k];
          } else if (node.leaf()) {
            for (int p = node.begin; p < node.end; ++p) {
              const int j = perm_[static_cast<std::size_t>(p)];
              if (j == i) continue;
              double dd[D], e2 = 0;
              for (int k = 0; k < D; ++k) {
                dd[k] = yi[k] - y[static_cast<std::size_t>(j) * D + k];
                e2 += dd[k] * dd[k];
              }
              const double q = 1.0 / (1.0 + e2);
              zi += q;
              for (int k = 0; k < D; ++k) f[k] += q * q * dd[k];
            }
          } else {
            for (int c = node.firstChild + node.children - 1; c >= node.firstChild; --c) stack.push_back(c);
          }
        }
        z_[static_cast<std::size_t>(i)] = zi;
        for (int k = 0; k < D; ++k) forces_[static_cast<std::size_t>(i) * D + k] = f[k];
      }
    }
    double z = 0;
    for (double v : z_) z += v;
    for (std::size_t i = 0; i < n * D; ++i) rep[i] = static_cast<float>(forces_[i] / z);
    return z;
  }

 private:
  static constexpr int kLeafSize = 8;
  struct Node {
    double com[D];
    double half;  // half the cell's side
    int count, begin, end;
    int firstChild = -1, children = 0;
    bool leaf() const { return children == 0; }
  };

  void build(const float* y, std::size_t n) {
    perm_.resize(n);
    for (std::size_t i = 0; i < n; ++i) perm_[i] = static_cast<int>(i);
    double lo[D], hi[D];
    for (int k = 0; k < D; ++k) lo[k] = hi[k] = y[k];
    for (std::size_t i = 0; i < n; ++i)
      for (int k = 0; k < D; ++k) {
        lo[k] = std::min<double>(lo[k], y[i * D + k]);
        hi[k] = std::max<double>(hi[k], y[i * D + k]);
      }
    double centre[D], half = 0;
    for (int k = 0; k < D; ++k) {
      centre[k] = 0.5 * (lo[k] + hi[k]);
      half = std::max(half, 0.5 * (hi[k] - lo[k]));
    }
    half = half * (1 + 1e-6) + 1e-12;
    nodes_.clear();
    nodes_.reserve(2 * n / kLeafSize + 16);
    scratch_.resize(n);
    nodes_.emplace_back();
    buildNode(0, y, 0, static_cast<int>(n), centre, half, 0);
  }

  void buildNode(int self, const float* y, int begin, int end, const double* centre, double half, int depth) {
    {
      Node& node = nodes_[static_cast<std::size_t>(self)];
      node.half = half;
      node.count = end - begin;
      node.begin = begin;
      node.end = end;
    }
    if (end - begin <= kLeafSize || depth > 48 || half < 1e-9) {
      double com[D] = {};
      for (int p = begin; p < end; ++p)
        for (int k = 0; k < D; ++k) com[k] += y[static_cast<std::size_t>(perm_[static_cast<std::size_t>(p)]) * D + k];
      Node& node = nodes_[static_cast<std::size_t>(self)];
      for (int k = 0; k < D; ++k) node.com[k] = com[k] / (end - begin);
      return;
    }
    constexpr int kChildren = 1 << D;
    std::array<int, kChildren + 1> start{};
    auto childOf = [&](int idx) {
      int c = 0;
      for (int k = 0; k < D; ++k)
        if (y[static_cast<std::size_t>(idx) * D + k] >= centre[k]) c |= 1 << k;
      return c;
    };
    for (int p = begin; p < end; ++p) ++start[static_cast<std::size_t>(childOf(perm_[static_cast<std::size_t>(p)]) + 1)];
    for (int c = 0; c < kChildren; ++c) start[static_cast<std::size_t>(c + 1)] += start[static_cast<std::size_t>(c)];
    std::array<int, kChildren> fill{};
    for (int c = 0; c < kChildren; ++c) fill[static_cast<std::size_t>(c)] = begin + start[static_cast<std::size_t>(c)];
    for (int p = begin; p < end; ++p) {
      const int idx = perm_[static_cast<std::size_t>(p)];
      scratch_[static_cast<std::size_t>(fill[static_cast<std::size_t>(childOf(idx))]++)] = idx;
    }
    std::copy(scratch_.begin() + begin, scratch_.begin() + end, perm_.begin() + begin);
    int nonEmpty = 0;
    for (int c = 0; c < kChildren; ++c)
      if (start[static_cast<std::size_t>(c + 1)] > start[static_cast<std::size_t>(c)]) ++nonEmpty;
    const int first = static_cast<int>(nodes_.size());
    nodes_.resize(nodes_.size() + static_cast<std::size_t>(nonEmpty));
    nodes_[static_cast<std::size_t>(self)].firstChild = first;
    nodes_[static_cast<std::size_t>(self)].children = nonEmpty;
    int slot = first;
    double com[D] = {};
    for (int c = 0; c < kChildren; ++c) {
      const int b = begin + start[static_cast<std::size_t>(c)], e = begin + start[static_cast<std::size_t>(c + 1)];
      if (e == b) continue;
      double cc[D];
      for (int k = 0; k < D; ++k) cc[k] = centre[k] + ((c >> k) & 1 ? 0.5 : -0.5) * half;
      buildNode(slot, y, b, e, cc, 0.5 * half, depth + 1);
      const Node& child = nodes_[static_cast<std::size_t>(slot)];
      for (int k = 0; k < D; ++k) com[k] += child.com[k] * child.count;
      ++slot;
    }
    Node& node = nodes_[static_cast<std::size_t>(self)];
    for (int k = 0; k < D; ++k) node.com[k] = com[k] / node.count;
  }

  double theta2_;
  int threads_;
  std::vector<Node> nodes_;
  std::vector<int> perm_, scratch_;
  std::vector<double> forces_, z_;
};

// ---------------------------------------------------------------------------------------------
class FftRepulsion2D final : public Repulsion {
 public:
  FftRepulsion2D(double intervalsPerUnit, int minIntervals, int nodes, int threads)
      : perUnit_(intervalsPerUnit), minIntervals_(std::max(1, minIntervals)), nodes_(std::max(2, nodes)), threads_(threadCount(threads)) {
    for (int t = 0; t < threads_; ++t) {
      ffts_.push_back(std::make_unique<Eigen::FFT<float>>());
      ffts_.back()->SetFlag(Eigen::FFT<float>::Unscaled);
    }
  }
  const char* name() const override { return "fft"; }

  double compute(const float* y, std::size_t n, int dims, float* rep) override {
    if (dims != 2) throw std::invalid_argument("the FFT gradient is 2-D only (use Barnes-Hut for 3-D)");
    double lo = y[0], hi = y[0];
    for (std::size_t i = 0; i < 2 * n; ++i) {
      lo = std::min<double>(lo, y[i]);
      hi = std::max<double>(hi, y[i]);
    }
    // A uniform grid of m x m nodes h = 1 / (3 * intervalsPerUnit) apart once the layout is
    // large (so that the kernel's spectrum depends on m only and is reused), and of
    // 3 * minIntervals nodes a side with h rounded up to a power of 2^(1/16) while it is small.
    // Each point interpolates from the p x p nodes around it (its own cell in the middle), so
    // no point is extrapolated.
    const int p = nodes_;
    const double span = std::max(hi - lo, 1e-6);
    const int minNodes = 3 * minIntervals_;
    double h = 1.0 / (3.0 * perUnit_);
    if (span / h < minNodes) h = std::exp2(std::ceil(16.0 * std::log2(span / minNodes)) / 16.0);
    const int m = nextSmooth(std::max(minNodes, static_cast<int>(std::ceil(span / h)) + p + 1));
    const int len = 2 * m;
    // Node g of an axis sits at origin + g * h; the points' span is centred in the grid.
    const double origin = 0.5 * (lo + hi) - 0.5 * (m - 1) * h;
    const double centre = 0.5 * (lo + hi);

    // Stencil origins and Lagrange weights.
    base_.resize(n * 2);
    wts_.resize(n * 2 * static_cast<std::size_t>(p));
    const long nl = static_cast<long>(n);
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (long il = 0; il < nl; ++il) {
      const std::size_t i = static_cast<std::size_t>(il);
      for (int k = 0; k < 2; ++k) {
        const double t = (y[i * 2 + k] - origin) / h;  // in node units
        const int g = std::min(m - p, std::max(0, static_cast<int>(std::floor(t)) - (p - 1) / 2));
        const double u = t - g;
        float* w = &wts_[(i * 2 + static_cast<std::size_t>(k)) * static_cast<std::size_t>(p)];
        for (int a = 0; a < p; ++a) {
          double v = 1;
          for (int c = 0; c < p; ++c)
            if (c != a) v *= (u - c) / (a - c);
          w[a] = static_cast<float>(v);
        }
        base_[i * 2 + static_cast<std::size_t>(k)] = g;
      }
    }
    // Points by the row of their stencil's origin (counting sort: stable, so deterministic).
    rowStart_.assign(static_cast<std::size_t>(m) + 1, 0);
    for (std::size_t i = 0; i < n; ++i) ++rowStart_[static_cast<std::size_t>(base_[i * 2 + 1]) + 1];
    for (int r = 0; r < m; ++r) rowStart_[static_cast<std::size_t>(r) + 1] += rowStart_[static_cast<std::size_t>(r)];
    order_.resize(n);
    {
      std::vector<int> fill(rowStart_.begin(), rowStart_.end() - 1);
      for (std::size_t i = 0; i < n; ++i) order_[static_cast<std::size_t>(fill[static_cast<std::size_t>(base_[i * 2 + 1])]++)] = static_cast<int>(i);
    }

    // Spread the charges: grid A holds channels (1, y_x), grid B (y_y, |y|^2), centred
    // coordinates. Stencil rows [r, r + p) of origins in one group of p rows overlap only the
    // next group, so even groups run in parallel, then odd ones: every node adds its points in
    // a fixed order whatever the thread count.
    const std::size_t cells = static_cast<std::size_t>(len) * static_cast<std::size_t>(len);
    gridA_.assign(cells, {0.0f, 0.0f});
    gridB_.assign(cells, {0.0f, 0.0f});
    const int groups = (m + p - 1) / p;
    for (int parity = 0; parity < 2; ++parity) {
#pragma omp parallel for num_threads(threads_) schedule(dynamic, 1)
      for (int gi = parity; gi < groups; gi += 2) {
        const int r0 = gi * p, r1 = std::min(m, r0 + p);
        for (int e = rowStart_[static_cast<std::size_t>(r0)]; e < rowStart_[static_cast<std::size_t>(r1)]; ++e) {
          const std::size_t i = static_cast<std::size_t>(order_[static_cast<std::size_t>(e)]);
          const float cx = static_cast<float>(y[i * 2] - centre), cy = static_cast<float>(y[i * 2 + 1] - centre);
          const float r2 = cx * cx + cy * cy;
          const float* w = &wts_[i * 2 * static_cast<std::size_t>(p)];
          const int gx = base_[i * 2], gy = base_[i * 2 + 1];
          for (int c = 0; c < p; ++c)
            for (int a = 0; a < p; ++a) {
              const float wt = w[p + c] * w[a];
              const std::size_t idx = static_cast<std::size_t>(gy + c) * static_cast<std::size_t>(len) + static_cast<std::size_t>(gx + a);
              gridA_[idx] += std::complex<float>(wt, wt * cx);
              gridB_[idx] += std::complex<float>(wt * cy, wt * r2);
            }
        }
      }
    }

    const std::vector<float>& spectrum = kernelSpectrum(len, m, h);
    fft2(gridA_, len, m, false);
    fft2(gridB_, len, m, false);
    const float scale = 1.0f / static_cast<float>(cells);
    for (std::size_t i = 0; i < cells; ++i) {
      const float k = spectrum[i] * scale;
      gridA_[i] *= k;
      gridB_[i] *= k;
    }
    fft2(gridA_, len, m, true);
    fft2(gridB_, len, m, true);

    // Interpolate the potentials back and assemble forces and Z.
    z_.resize(n);
    force_.resize(n * 2);
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (long il = 0; il < nl; ++il) {
      const std::size_t i = static_cast<std::size_t>(il);
      const int gx = base_[i * 2], gy = base_[i * 2 + 1];
      const float* w = &wts_[i * 2 * static_cast<std::size_t>(p)];
      double phi[4] = {0, 0, 0, 0};
      for (int c = 0; c < p; ++c)
        for (int a = 0; a < p; ++a) {
          const double wt = static_cast<double>(w[p + c]) * w[a];
          const std::size_t idx = static_cast<std::size_t>(gy + c) * static_cast<std::size_t>(len) + static_cast<std::size_t>(gx + a);
          phi[0] += wt * gridA_[idx].real();
          phi[1] += wt * gridA_[idx].imag();
          phi[2] += wt * gridB_[idx].real();
          phi[3] += wt * gridB_[idx].imag();
        }
      const double cx = y[i * 2] - centre, cy = y[i * 2 + 1] - centre;
      z_[i] = (1.0 + cx * cx + cy * cy) * phi[0] - 2.0 * (cx * phi[1] + cy * phi[2]) + phi[3] - 1.0;
      force_[i * 2] = cx * phi[0] - phi[1];
      force_[i * 2 + 1] = cy * phi[0] - phi[2];
    }
    double z = 0;
    for (double v : z_) z += v;
    for (std::size_t i = 0; i < 2 * n; ++i) rep[i] = static_cast<float>(force_[i] / z);
    return z;
  }

 private:
  using C = std::complex<float>;

  /// In-place 2-D DFT of a [len x len] row-major grid. Forward: the first `rows` rows are
  /// transformed (the others are zero), then every column. Inverse: every column, then only the
  /// first `rows` rows (the only ones read afterwards). Unscaled.
  void fft2(std::vector<C>& g, int len, int rows, bool inverse) {
    if (!inverse) {
      rowPass(g, len, rows, false);
      columnPass(g, len, false);
    } else {
      columnPass(g, len, true);
      rowPass(g, len, rows, true);
    }
  }

  void rowPass(std::vector<C>& g, int len, int rows, bool inverse) {
#pragma omp parallel num_threads(threads_)
    {
      Eigen::FFT<float>& fft = *ffts_[static_cast<std::size_t>(omp_get_thread_num())];
      std::vector<C> out(static_cast<std::size_t>(len));
#pragma omp for schedule(static)
      for (int r = 0; r < rows; ++r) {
        C* row = &g[static_cast<std::size_t>(r) * static_cast<std::size_t>(len)];
        if (inverse) fft.inv(out.data(), row, len);
        else fft.fwd(out.data(), row, len);
        std::copy(out.begin(), out.end(), row);
      }
    }
  }

  void columnPass(std::vector<C>& g, int len, bool inverse) {
    constexpr int kGroup = 8;
    const int groups = (len + kGroup - 1) / kGroup;
#pragma omp parallel num_threads(threads_)
    {
      Eigen::FFT<float>& fft = *ffts_[static_cast<std::size_t>(omp_get_thread_num())];
      std::vector<C> in(static_cast<std::size_t>(len) * kGroup), out(static_cast<std::size_t>(len));
#pragma omp for schedule(static)
      for (int gi = 0; gi < groups; ++gi) {
        const int c0 = gi * kGroup, cn = std::min(kGroup, len - c0);
        for (int r = 0; r < len; ++r) {
          const C* src = &g[static_cast<std::size_t>(r) * static_cast<std::size_t>(len) + static_cast<std::size_t>(c0)];
          for (int c = 0; c < cn; ++c) in[static_cast<std::size_t>(c) * static_cast<std::size_t>(len) + static_cast<std::size_t>(r)] = src[c];
        }
        for (int c = 0; c < cn; ++c) {
          C* col = &in[static_cast<std::size_t>(c) * static_cast<std::size_t>(len)];
          if (inverse) fft.inv(out.data(), col, len);
          else fft.fwd(out.data(), col, len);
          std::copy(out.begin(), out.end(), col);
        }
        for (int r = 0; r < len; ++r) {
          C* dst = &g[static_cast<std::size_t>(r) * static_cast<std::size_t>(len) + static_cast<std::size_t>(c0)];
          for (int c = 0; c < cn; ++c) dst[c] = in[static_cast<std::size_t>(c) * static_cast<std::size_t>(len) + static_cast<std::size_t>(r)];
        }
      }
    }
  }

  /// The DFT of the kernel 1 / (1 + r^2)^2 sampled on the grid (circulant embedding), real
  /// because the kernel is real and even; cached by (len, h).
  const std::vector<float>& kernelSpectrum(int len, int m, double h) {
    for (auto& c : spectra_)
      if (c.len == len && c.h == h) return c.values;
    const std::size_t cells = static_cast<std::size_t>(len) * static_cast<std::size_t>(len);
    kernel_.assign(cells, {0.0f, 0.0f});
    for (int r = 0; r < len; ++r) {
      const int dy = r <= m ? r : r - len;
      for (int c = 0; c < len; ++c) {
        const int dx = c <= m ? c : c - len;
        const double d2 = h * h * (static_cast<double>(dx) * dx + static_cast<double>(dy) * dy);
        const double k = 1.0 / (1.0 + d2);
        kernel_[static_cast<std::size_t>(r) * static_cast<std::size_t>(len) + static_cast<std::size_t>(c)] = {static_cast<float>(k * k), 0.0f};
      }
    }
    fft2(kernel_, len, len, false);
    if (spectra_.size() >= 6) spectra_.erase(spectra_.begin());
    spectra_.push_back({len, h, std::vector<float>(cells)});
    for (std::size_t i = 0; i < cells; ++i) spectra_.back().values[i] = kernel_[i].real();
    return spectra_.back().values;
  }

  struct CachedSpectrum {
    int len;
    double h;
    std::vector<float> values;
  };
  std::vector<CachedSpectrum> spectra_;
  double perUnit_;
  int minIntervals_;
  int nodes_;
  int threads_;
  std::vector<std::unique_ptr<Eigen::FFT<float>>> ffts_;
  std::vector<int> base_, rowStart_, order_;
  std::vector<float> wts_;
  std::vector<C> gridA_, gridB_, kernel_;
  std::vector<double> z_, force_;
};

}  // namespace

std::unique_ptr<Repulsion> makeExactRepulsion(int threads) { return std::make_unique<ExactRepulsion>(threads); }

std::unique_ptr<Repulsion> makeBarnesHutRepulsion(double theta, int threads) {
  struct Either final : Repulsion {
    Either(double theta, int threads) : two(theta, threads), three(theta, threads) {}
    const char* name() const override { return "barnes-hut"; }
    double compute(const float* y, std::size_t n, int dims, float* rep) override {
      return dims == 3 ? three.compute(y, n, dims, rep) : two.compute(y, n, dims, rep);
    }
    BarnesHut<2> two;
    BarnesHut<3> three;
  };
  return std::make_unique<Either>(theta, threads);
}

std::unique_ptr<Repulsion> makeFftRepulsion(double intervalsPerUnit, int minIntervals, int stencil, int threads) {
  return std::make_unique<FftRepulsion2D>(intervalsPerUnit, minIntervals, stencil, threads);
}

}  // namespace mlsan::analysis::detail
