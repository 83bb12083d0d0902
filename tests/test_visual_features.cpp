// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in visual extractor (extract/visual_features.h) on images whose answer is known:
// stripes put HOG's mass in the orientation bin of their gradient, a flat image has no gradient
// and one LBP code, the uniform-LBP table has its 58 + 1 codes, and the utterance vector is the
// mean of its frames (zeros without a face).
#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "mlsan/extract/visual_features.h"

using namespace mlsan::extract;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr int S = kFaceSide;

std::vector<float> image(double (*f)(int x, int y)) {
  std::vector<float> g(static_cast<std::size_t>(S * S));
  for (int y = 0; y < S; ++y)
    for (int x = 0; x < S; ++x) g[static_cast<std::size_t>(y * S + x)] = static_cast<float>(f(x, y));
  return g;
}

/// HOG's mass per orientation bin, summed over blocks and cells.
std::vector<double> binMass(const std::vector<float>& hog) {
  std::vector<double> m(9, 0.0);
  for (std::size_t i = 0; i < hog.size(); ++i) m[i % 9] += hog[i];
  return m;
}
}  // namespace

TEST(VisualFeatures, UniformLbpTable) {
  std::set<int> uniform;
  int other = 0;
  for (unsigned p = 0; p < 256; ++p) {
    const int c = uniformLbpCode(p);
    ASSERT_GE(c, 0);
    ASSERT_LE(c, 58);
    if (c == 58) {
      ++other;
    } else {
      uniform.insert(c);
    }
  }
  EXPECT_EQ(uniform.size(), 58u);
  EXPECT_EQ(other, 256 - 58);
  EXPECT_EQ(uniformLbpCode(0), 0);
  EXPECT_EQ(uniformLbpCode(0xFF), 57);
  EXPECT_EQ(uniformLbpCode(0x55), 58);  // 01010101: eight transitions
  EXPECT_LT(uniformLbpCode(0x0F), 58);  // 00001111: two
}

TEST(VisualFeatures, StripesPutHogMassInTheirGradientsOrientation) {
  // Brightness along y only: vertical gradients, 90 degrees, bin 4 (centred at 90).
  const auto horizontal = binMass(hogDescriptor(image([](int, int y) { return 0.5 + 0.5 * std::sin(2 * kPi * y / 8.0); }).data()));
  for (int b = 0; b < 9; ++b) {
    if (b == 4) continue;
    EXPECT_GT(horizontal[4], 10 * horizontal[static_cast<std::size_t>(b)]) << b;
  }
  // Brightness along x only: gradients at 0 degrees, halfway between bins 8 (170) and 0 (10).
  const auto vertical = binMass(hogDescriptor(image([](int x, int) { return 0.5 + 0.5 * std::sin(2 * kPi * x / 8.0); }).data()));
  EXPECT_NEAR(vertical[0], vertical[8], 1e-6);
  EXPECT_GT(vertical[0], 10 * vertical[4]);
  // Brightness along x + y: gradients at 45 degrees, 3/4 to bin 2 (50) and 1/4 to bin 1 (30)
  // before L2-Hys clips them (so bin 2 leads, bin 1 follows; the other bins get only what the
  // repeated edge pixels bend).
  const auto diagonal = binMass(hogDescriptor(image([](int x, int y) { return 0.5 + 0.5 * std::sin(2 * kPi * (x + y) / 12.0); }).data()));
  EXPECT_GT(diagonal[2], diagonal[1]);
  for (int b : {0, 3, 4, 5, 6, 7, 8}) EXPECT_LT(diagonal[static_cast<std::size_t>(b)], 0.1 * diagonal[1]) << b;
  // L2-Hys: every block's 36 values have unit length.
  const auto h = hogDescriptor(image([](int x, int y) { return std::fmod(0.37 * x * y, 1.0); }).data());
  ASSERT_EQ(h.size(), 324u);
  for (int b = 0; b < 9; ++b) {
    double n = 0;
    for (int k = 0; k < 36; ++k) n += h[static_cast<std::size_t>(b * 36 + k)] * h[static_cast<std::size_t>(b * 36 + k)];
    EXPECT_NEAR(n, 1.0, 1e-4) << "block " << b;
  }
}

TEST(VisualFeatures, FlatImagesAndTheUtteranceVector) {
  const auto flat = image([](int, int) { return 0.4; });
  const auto hog = hogDescriptor(flat.data());
  for (float v : hog) EXPECT_EQ(v, 0.0f);
  const auto lbp = lbpDescriptor(flat.data());
  ASSERT_EQ(lbp.size(), 236u);
  for (int q = 0; q < 4; ++q) EXPECT_FLOAT_EQ(lbp[static_cast<std::size_t>(q * 59 + 57)], 1.0f) << "every neighbour >= the centre";
  const auto stripes = image([](int x, int) { return x % 2 ? 1.0 : 0.0; });
  std::vector<float> two = flat;
  two.insert(two.end(), stripes.begin(), stripes.end());
  const auto v = visualVector(two.data(), 2);
  ASSERT_EQ(static_cast<int>(v.size()), kFaceDescriptorDim);
  const auto a = faceDescriptor(flat.data()), b = faceDescriptor(stripes.data());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], 0.5 * (a[i] + b[i]), 1e-6);
  EXPECT_EQ(visualVector(nullptr, 0), std::vector<float>(static_cast<std::size_t>(kFaceDescriptorDim), 0.0f));
}
