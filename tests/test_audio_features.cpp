// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in audio extractor (extract/audio_features.h): the filterbank, MFCCs, deltas and
// energy against numpy's (golden/audio_golden.json, made by golden/make_audio_golden.py), and the
// pitch on signals whose F0 is known.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "mlsan/data/atomic_file.h"
#include "mlsan/extract/audio_features.h"

using nlohmann::json;
using namespace mlsan::extract;

namespace {

constexpr double kPi = 3.14159265358979323846;

/// make_audio_golden.py's formula.
std::vector<float> goldenSignal(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    x[i] = static_cast<float>(0.3 * std::sin(2 * kPi * 180 * t) + 0.15 * std::sin(2 * kPi * 360 * t + 0.5) +
                              0.05 * std::sin(2 * kPi * 2500 * t) + 0.02 * (static_cast<double>((i * 7919) % 1000) / 500.0 - 1.0));
  }
  return x;
}

std::vector<float> tone(double hz, double seconds, double amplitude = 0.5) {
  std::vector<float> x(static_cast<std::size_t>(seconds * 16000));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(amplitude * std::sin(2 * kPi * hz * static_cast<double>(i) / 16000.0));
  return x;
}

double medianVoicedPitch(const AudioFrames& f) {
  std::vector<float> v;
  for (float p : f.pitchHz)
    if (p > 0) v.push_back(p);
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

void expectClose(const std::vector<float>& ours, const json& golden, double tol, const char* what) {
  const auto g = golden.get<std::vector<double>>();
  ASSERT_EQ(ours.size(), g.size()) << what;
  for (std::size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(ours[i], g[i], tol * std::max(1.0, std::abs(g[i]))) << what << " [" << i << "]";
}

}  // namespace

TEST(AudioFeatures, MatchNumpyFrameByFrame) {
  const json j = json::parse(mlsan::data::readFile(std::string(MLSAN_TEST_SOURCE_DIR) + "/golden/audio_golden.json"));
  for (const auto& c : j.at("cases")) {
    const auto x = goldenSignal(c.at("samples").get<std::size_t>());
    const AudioFrames f = audioFrames(x.data(), x.size());
    ASSERT_EQ(f.frames, c.at("frames").get<int>());
    expectClose(f.logMel, c.at("logmel"), 1e-4, "logmel");
    expectClose(f.mfcc, c.at("mfcc"), 1e-4, "mfcc");
    expectClose(f.delta, c.at("delta"), 1e-4, "delta");
    expectClose(f.delta2, c.at("delta2"), 1e-4, "delta2");
    expectClose(f.logEnergy, c.at("log_energy"), 1e-5, "log energy");
    // The utterance vector: means, then standard deviations, of the same rows.
    const std::vector<float> v = audioVector(f);
    ASSERT_EQ(static_cast<int>(v.size()), audioVectorDim());
    const auto mean = c.at("mean").get<std::vector<double>>(), sd = c.at("sd").get<std::vector<double>>();
    for (std::size_t i = 0; i < mean.size(); ++i) {
      ASSERT_NEAR(v[i], mean[i], 1e-4 * std::max(1.0, std::abs(mean[i]))) << "mean " << i;
      ASSERT_NEAR(v[mean.size() + i], sd[i], 1e-4 * std::max(1.0, std::abs(sd[i]))) << "sd " << i;
    }
  }
}

TEST(AudioFeatures, PitchOfTonesAndOfAVoiceWhoseSecondHarmonicIsStronger) {
  for (double hz : {80.0, 110.0, 220.0, 330.0}) {
    const auto x = tone(hz, 0.5);
    const AudioFrames f = audioFrames(x.data(), x.size());
    EXPECT_NEAR(medianVoicedPitch(f), hz, 0.01 * hz) << hz;
    const auto v = audioVector(f);
    EXPECT_GT(v[v.size() - 3], 0.9) << "voiced fraction of a " << hz << " Hz tone";
    EXPECT_NEAR(v[v.size() - 2], std::log2(hz), 0.02);
  }
  // F0 150 Hz with the second harmonic twice as strong: still 150 (no octave error).
  std::vector<float> voice(8000);
  for (std::size_t i = 0; i < voice.size(); ++i) {
    const double t = static_cast<double>(i) / 16000.0;
    voice[i] = static_cast<float>(0.15 * std::sin(2 * kPi * 150 * t) + 0.3 * std::sin(2 * kPi * 300 * t) + 0.1 * std::sin(2 * kPi * 450 * t));
  }
  EXPECT_NEAR(medianVoicedPitch(audioFrames(voice.data(), voice.size())), 150.0, 1.5);
  // Noise and silence are unvoiced; silence sits at the energy floor.
  std::vector<float> noise(8000);
  std::uint32_t s = 12345;
  for (float& v : noise) {
    s = s * 1664525u + 1013904223u;
    v = static_cast<float>((s >> 8) / 16777216.0 - 0.5);
  }
  const auto vn = audioVector(noise.data(), noise.size());
  EXPECT_LT(vn[vn.size() - 3], 0.1) << "voiced fraction of white noise";
  const std::vector<float> silence(8000, 0.0f);
  const AudioFrames fs = audioFrames(silence.data(), silence.size());
  for (float p : fs.pitchHz) EXPECT_EQ(p, 0.0f);
  EXPECT_NEAR(fs.logEnergy.front(), std::log(1e-10), 1e-6);
}

TEST(AudioFeatures, ATonesEnergyLandsInTheMelBandAroundItsFrequency) {
  for (double hz : {300.0, 1000.0, 3000.0}) {
    const auto x = tone(hz, 0.3);
    const AudioFrames f = audioFrames(x.data(), x.size());
    const AudioFeatureConfig c;
    const int B = c.melBands;
    int best = 0;
    for (int m = 1; m < B; ++m)
      if (f.logMel[static_cast<std::size_t>(B + m)] > f.logMel[static_cast<std::size_t>(B + best)]) best = m;
    // Band m's centre is the (m+1)-th of B+2 points equally spaced in mel.
    const double lo = hzToMel(c.minHz), hi = hzToMel(c.maxHz);
    const double centre = melToHz(lo + (hi - lo) * (best + 1) / (B + 1)), step = (hi - lo) / (B + 1);
    EXPECT_LT(std::abs(hzToMel(hz) - hzToMel(centre)), step) << hz << " Hz peaks in band " << best << " centred at " << centre;
  }
  EXPECT_NEAR(melToHz(hzToMel(1234.5)), 1234.5, 1e-9);
  EXPECT_NEAR(hzToMel(1000.0), 999.99, 0.05);  // the HTK scale's anchor: 1000 Hz is about 1000 mel
}

TEST(AudioFeatures, DimsLayoutEmptyInputAndBadConfig) {
  EXPECT_EQ(audioVectorDim(), 163);
  const auto names = audioVectorLayout();
  ASSERT_EQ(static_cast<int>(names.size()), audioVectorDim());
  EXPECT_EQ(names.front(), "mean logmel 0");
  EXPECT_EQ(names[80], "sd logmel 0");
  EXPECT_EQ(names.back(), "sd log2 f0");
  const auto empty = audioVector(nullptr, 0);
  EXPECT_EQ(empty, std::vector<float>(163, 0.0f));
  AudioFeatureConfig bad;
  bad.fftSize = 300;
  const std::vector<float> x(1000, 0.1f);
  EXPECT_THROW(audioFrames(x.data(), x.size(), bad), std::invalid_argument);
  bad = {};
  bad.mfccs = 41;
  EXPECT_THROW(audioFrames(x.data(), x.size(), bad), std::invalid_argument);
  bad = {};
  bad.minHz = 9000;
  EXPECT_THROW(audioFrames(x.data(), x.size(), bad), std::invalid_argument);
}
