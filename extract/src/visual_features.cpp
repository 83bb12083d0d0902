// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/visual_features.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mlsan::extract {
namespace {

constexpr int kCell = 16, kCells = kFaceSide / kCell, kBins = 9;
constexpr double kPi = 3.14159265358979323846;

float at(const float* g, int x, int y) {
  x = std::clamp(x, 0, kFaceSide - 1);
  y = std::clamp(y, 0, kFaceSide - 1);
  return g[y * kFaceSide + x];
}

/// Code of every 8-bit pattern, built once.
const std::array<int, 256>& lbpTable() {
  static const std::array<int, 256> table = [] {
    std::array<int, 256> t{};
    int next = 0;
    for (unsigned p = 0; p < 256; ++p) {
      const unsigned rotated = ((p << 1) | (p >> 7)) & 0xFFu;
      const int transitions = __builtin_popcount(p ^ rotated);
      t[p] = transitions <= 2 ? next++ : -1;
    }
    for (int& c : t)
      if (c < 0) c = next;  // 58: every non-uniform pattern
    return t;
  }();
  return table;
}

}  // namespace

int uniformLbpCode(unsigned pattern) { return lbpTable()[pattern & 0xFFu]; }

std::vector<float> hogDescriptor(const float* g) {
  // Cell histograms, each pixel's gradient magnitude split between the two nearest of the 9
  // orientation bins (centres 10, 30, ..., 170 degrees; unsigned, so 180 wraps to 0).
  std::vector<double> cells(static_cast<std::size_t>(kCells * kCells * kBins), 0.0);
  for (int y = 0; y < kFaceSide; ++y)
    for (int x = 0; x < kFaceSide; ++x) {
      const double gx = at(g, x + 1, y) - at(g, x - 1, y), gy = at(g, x, y + 1) - at(g, x, y - 1);
      const double m = std::sqrt(gx * gx + gy * gy);
      if (m == 0) continue;
      double angle = std::atan2(gy, gx) * 180.0 / kPi;
      if (angle < 0) angle += 180.0;
      if (angle >= 180.0) angle -= 180.0;
      const double pos = angle / 20.0 - 0.5;  // in bin units, bin b centred at b
      const int lo = static_cast<int>(std::floor(pos));
      const double frac = pos - lo;
      const int b0 = (lo + kBins) % kBins, b1 = (lo + 1) % kBins;
      double* h = cells.data() + static_cast<std::size_t>(((y / kCell) * kCells + x / kCell) * kBins);
      h[b0] += m * (1.0 - frac);
      h[b1] += m * frac;
    }
  // 2 x 2-cell blocks at every cell step, L2-Hys: L2-normalise, clip at 0.2, L2-normalise again.
  std::vector<float> out;
  out.reserve(324);
  for (int by = 0; by + 1 < kCells; ++by)
    for (int bx = 0; bx + 1 < kCells; ++bx) {
      std::vector<double> v;
      for (int cy = by; cy <= by + 1; ++cy)
        for (int cx = bx; cx <= bx + 1; ++cx) {
          const double* h = cells.data() + static_cast<std::size_t>((cy * kCells + cx) * kBins);
          v.insert(v.end(), h, h + kBins);
        }
      for (int pass = 0; pass < 2; ++pass) {
        double norm = 0;
        for (double e : v) norm += e * e;
        norm = std::sqrt(norm + 1e-12);
        for (double& e : v) e = pass == 0 ? std::min(e / norm, 0.2) : e / norm;
      }
      for (double e : v) out.push_back(static_cast<float>(e));
    }
  return out;
}

std::vector<float> lbpDescriptor(const float* g) {
  // Neighbours clockwise from the top-left; bit k is set when neighbour k >= the centre.
  static const int dx[8] = {-1, 0, 1, 1, 1, 0, -1, -1}, dy[8] = {-1, -1, -1, 0, 1, 1, 1, 0};
  constexpr int half = kFaceSide / 2, codes = 59;
  std::vector<double> hist(static_cast<std::size_t>(4 * codes), 0.0);
  std::array<double, 4> count{};
  for (int y = 1; y < kFaceSide - 1; ++y)
    for (int x = 1; x < kFaceSide - 1; ++x) {
      const float c = g[y * kFaceSide + x];
      unsigned p = 0;
      for (int k = 0; k < 8; ++k)
        if (g[(y + dy[k]) * kFaceSide + x + dx[k]] >= c) p |= 1u << k;
      const int quarter = (y >= half ? 2 : 0) + (x >= half ? 1 : 0);
      hist[static_cast<std::size_t>(quarter * codes + uniformLbpCode(p))] += 1.0;
      count[static_cast<std::size_t>(quarter)] += 1.0;
    }
  std::vector<float> out(hist.size());
  for (std::size_t i = 0; i < hist.size(); ++i) out[i] = static_cast<float>(hist[i] / count[i / codes]);
  return out;
}

std::vector<float> faceDescriptor(const float* grey) {
  std::vector<float> v = hogDescriptor(grey);
  const std::vector<float> l = lbpDescriptor(grey);
  v.insert(v.end(), l.begin(), l.end());
  return v;
}

std::vector<float> visualVector(const float* crops, std::size_t count) {
  std::vector<double> sum(static_cast<std::size_t>(kFaceDescriptorDim), 0.0);
  for (std::size_t i = 0; i < count; ++i) {
    const auto d = faceDescriptor(crops + i * static_cast<std::size_t>(kFaceSide * kFaceSide));
    for (std::size_t k = 0; k < d.size(); ++k) sum[k] += d[k];
  }
  std::vector<float> out(sum.size(), 0.0f);
  if (count > 0)
    for (std::size_t k = 0; k < sum.size(); ++k) out[k] = static_cast<float>(sum[k] / static_cast<double>(count));
  return out;
}

}  // namespace mlsan::extract
