// SPDX-License-Identifier: GPL-3.0-or-later
// Silhouette and the linear probe (analysis/disentangle.h) against scikit-learn's values
// (golden/disentangle_golden.json, made by golden/make_disentangle_golden.py), and the property
// issue 5 rests on: removing a per-speaker shift lowers the speaker silhouette and the speaker
// probe's accuracy and leaves the emotion silhouette.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "mlsan/analysis/disentangle.h"
#include "mlsan/data/atomic_file.h"

using nlohmann::json;
using namespace mlsan::analysis;

namespace {
const json& golden() {
  static const json j =
      json::parse(mlsan::data::readFile(std::string(MLSAN_TEST_SOURCE_DIR) + "/golden/disentangle_golden.json"));
  return j;
}
}  // namespace

TEST(Silhouette, MatchesScikitLearn) {
  for (const auto& c : golden().at("cases")) {
    const auto x = c.at("x").get<std::vector<float>>();
    const auto labels = c.at("labels").get<std::vector<int>>();
    const std::size_t n = c.at("n").get<std::size_t>(), d = c.at("d").get<std::size_t>();
    EXPECT_NEAR(silhouetteScore(x.data(), n, d, labels), c.at("silhouette").get<double>(), 1e-5)
        << c.at("name").get<std::string>();
  }
}

TEST(Silhouette, RefusesOneLabelOrOneLabelPerSample) {
  const std::vector<float> x = {0, 1, 2, 3};
  EXPECT_THROW(silhouetteScore(x.data(), 4, 1, {1, 1, 1, 1}), std::invalid_argument);
  EXPECT_THROW(silhouetteScore(x.data(), 4, 1, {0, 1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(silhouetteScore(x.data(), 4, 1, {0, 1}), std::invalid_argument);
}

TEST(LinearProbe, AgreesWithScikitLearnsCrossValidatedAccuracy) {
  // The folds are drawn differently, so the accuracy agrees within a few points, not exactly.
  for (const auto& c : golden().at("cases")) {
    const auto x = c.at("x").get<std::vector<float>>();
    const auto labels = c.at("labels").get<std::vector<int>>();
    const std::size_t n = c.at("n").get<std::size_t>(), d = c.at("d").get<std::size_t>();
    const ProbeResult r = linearProbe(x.data(), n, d, labels, 5, 1.0, 1);
    EXPECT_NEAR(r.accuracy, c.at("probe_accuracy").get<double>(), 0.07) << c.at("name").get<std::string>();
    EXPECT_EQ(r.folds, 5);
    EXPECT_GT(r.chance, 0.0);
  }
}

TEST(LinearProbe, IsDeterministicForASeed) {
  const auto& c = golden().at("cases").at(1);
  const auto x = c.at("x").get<std::vector<float>>();
  const auto labels = c.at("labels").get<std::vector<int>>();
  const auto a = linearProbe(x.data(), c.at("n"), c.at("d"), labels, 5, 1.0, 7);
  const auto b = linearProbe(x.data(), c.at("n"), c.at("d"), labels, 5, 1.0, 7);
  EXPECT_EQ(a.accuracy, b.accuracy);
  EXPECT_EQ(a.accuracyStd, b.accuracyStd);
}

TEST(Subsample, IsDeterministicSortedAndBounded) {
  const auto a = subsampleRows(1000, 100, 3), b = subsampleRows(1000, 100, 3);
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_LT(a.back(), 1000u);
  EXPECT_NE(subsampleRows(1000, 100, 4), a);
  EXPECT_EQ(subsampleRows(50, 100, 3).size(), 50u);
}

TEST(Disentanglement, RemovingASpeakerShiftMixesSpeakersAndKeepsEmotions) {
  // Features = emotion centre + speaker shift + noise; "calibration" removes each speaker's
  // shift, as FiLM should.
  const std::size_t n = 600, d = 8;
  const int speakers = 5, emotions = 3;
  std::mt19937_64 g(11);
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<std::vector<double>> emo(emotions, std::vector<double>(d)), spk(speakers, std::vector<double>(d));
  for (auto& v : emo) for (double& e : v) e = 2.5 * z(g);
  for (auto& v : spk) for (double& e : v) e = 2.5 * z(g);
  std::vector<float> raw(n * d), calibrated(n * d);
  std::vector<int> speaker(n), emotion(n);
  for (std::size_t i = 0; i < n; ++i) {
    speaker[i] = static_cast<int>(i % speakers);
    emotion[i] = static_cast<int>((i / speakers) % emotions);
    for (std::size_t t = 0; t < d; ++t) {
      const double base = emo[static_cast<std::size_t>(emotion[i])][t] + z(g);
      calibrated[i * d + t] = static_cast<float>(base);
      raw[i * d + t] = static_cast<float>(base + spk[static_cast<std::size_t>(speaker[i])][t]);
    }
  }
  const double spkBefore = silhouetteScore(raw.data(), n, d, speaker);
  const double spkAfter = silhouetteScore(calibrated.data(), n, d, speaker);
  const double emoBefore = silhouetteScore(raw.data(), n, d, emotion);
  const double emoAfter = silhouetteScore(calibrated.data(), n, d, emotion);
  EXPECT_GT(spkBefore, spkAfter + 0.1);
  EXPECT_NEAR(spkAfter, 0.0, 0.05);
  EXPECT_GT(emoAfter, emoBefore);
  const ProbeResult probeBefore = linearProbe(raw.data(), n, d, speaker);
  const ProbeResult probeAfter = linearProbe(calibrated.data(), n, d, speaker);
  EXPECT_GT(probeBefore.accuracy, 0.9);
  EXPECT_LT(probeAfter.accuracy, probeBefore.chance + 0.1);
}

// The embedding views measure on a worker that the user can cancel: a measure asked to stop
// says "cancelled" and stops early (the check is asked a bounded number of times), one never
// asked to stop gives the numbers of the uncancellable call, and the silhouettes of one pass
// over the distances equal the separate scores, whatever the thread count.
TEST(Disentanglement, CancelsEarlyAndOtherwiseMeasuresAsBefore) {
  const std::size_t n = 400, d = 6;
  std::mt19937_64 g(5);
  std::normal_distribution<float> z(0.0f, 1.0f);
  std::vector<float> x(n * d);
  std::vector<int> speaker(n), emotion(n);
  for (std::size_t i = 0; i < n; ++i) {
    speaker[i] = static_cast<int>(i % 4);
    emotion[i] = static_cast<int>(i % 3);
    for (std::size_t t = 0; t < d; ++t) x[i * d + t] = z(g) + static_cast<float>(speaker[i] == static_cast<int>(t));
  }
  const DisentangleNumbers plain = measureDisentanglement(x.data(), n, d, speaker, emotion);
  EXPECT_TRUE(plain.error.empty()) << plain.error;
  EXPECT_DOUBLE_EQ(plain.silhouetteSpeaker, silhouetteScore(x.data(), n, d, speaker));
  EXPECT_DOUBLE_EQ(plain.silhouetteEmotion, silhouetteScore(x.data(), n, d, emotion));
  int asked = 0;
  const DisentangleNumbers never = measureDisentanglement(x.data(), n, d, speaker, emotion, 5, 1, 100, [&asked] {
    ++asked;
    return false;
  });
  EXPECT_GT(asked, 0);
  EXPECT_EQ(never.silhouetteSpeaker, plain.silhouetteSpeaker);
  EXPECT_EQ(never.speakerProbe.accuracy, plain.speakerProbe.accuracy);
  for (const int stopAt : {1, 5, asked / 2, asked}) {  // in the silhouettes, in the probe, at its very last check
    int calls = 0;
    const DisentangleNumbers stopped =
        measureDisentanglement(x.data(), n, d, speaker, emotion, 5, 1, 100, [&calls, stopAt] { return ++calls >= stopAt; });
    EXPECT_EQ(stopped.error, "cancelled") << "stopped at call " << stopAt;
    EXPECT_EQ(calls, stopAt) << "the measure went on asking after it was told to stop";
  }
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double one = silhouetteScore(x.data(), n, d, speaker);
  omp_set_num_threads(threads);
  EXPECT_EQ(one, plain.silhouetteSpeaker);
}
