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
#include "mlsan/data/demo_corpus.h"

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

namespace {

/// n utterances of 3 speakers and 3 emotions. Speaker s says emotion s with probability 0.8 (and
/// each other emotion with 0.1): their emotion mixes differ. The features are the emotion's centre
/// plus noise, plus `speakerShift` times the speaker's own direction.
struct MixedCorpus {
  std::size_t n = 900, d = 8;
  std::vector<float> x;
  std::vector<int> speaker, emotion;
};
MixedCorpus mixedCorpus(double speakerShift, std::uint64_t seed) {
  MixedCorpus c;
  std::mt19937_64 g(seed);
  std::normal_distribution<double> z(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::vector<double>> emo(3, std::vector<double>(c.d)), spk(3, std::vector<double>(c.d));
  for (auto& v : emo) for (double& e : v) e = 2.0 * z(g);
  for (auto& v : spk) for (double& e : v) e = z(g);
  c.x.resize(c.n * c.d);
  for (std::size_t i = 0; i < c.n; ++i) {
    const int s = static_cast<int>(i % 3);
    const double r = u(g);
    const int e = r < 0.8 ? s : r < 0.9 ? (s + 1) % 3 : (s + 2) % 3;
    c.speaker.push_back(s);
    c.emotion.push_back(e);
    for (std::size_t t = 0; t < c.d; ++t)
      c.x[i * c.d + t] = static_cast<float>(emo[static_cast<std::size_t>(e)][t] + z(g) + speakerShift * spk[static_cast<std::size_t>(s)][t]);
  }
  return c;
}

}  // namespace

// Known truth: the features carry the emotion only, and the speakers differ only in how often
// they feel what. The plain probe finds the speaker well above chance; the probe within each
// emotion is at chance, and the sentence says the information came through the emotion.
TEST(ConditionalProbe, SpeakerInformationThatOnlyFollowsTheEmotionMixIsNotCounted) {
  const MixedCorpus c = mixedCorpus(0.0, 21);
  const DisentangleNumbers r = measureDisentanglement(c.x.data(), c.n, c.d, c.speaker, c.emotion);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_GT(r.speakerProbe.accuracy, r.speakerProbe.chance + 0.3);  // ~0.8 against ~0.33
  EXPECT_NEAR(r.speakerWithinEmotion.chance, 0.8, 0.05);              // each emotion's main speaker
  EXPECT_LT(r.speakerWithinEmotion.accuracy - r.speakerWithinEmotion.chance, kSpeakerLiftPoints / 100);
  EXPECT_EQ(r.speakerWithinEmotion.groups.size(), 3u);
  EXPECT_EQ(r.speakerWithinEmotion.rows, c.n);
  EXPECT_EQ(speakerInformation(r), SpeakerInformation::ThroughEmotion);
  EXPECT_NE(describeDisentanglement("Audio", r).find("only through the emotion"), std::string::npos) << describeDisentanglement("Audio", r);
}

// Known truth: the same corpus with each speaker's own shift in the features. Within each
// emotion the probe now names the speaker; against the unshifted features, the sentence says the
// speaker information beyond emotion rose.
TEST(ConditionalProbe, AShiftOfTheSpeakersOwnIsFoundWithinEachEmotion) {
  const MixedCorpus plain = mixedCorpus(0.0, 21), shifted = mixedCorpus(1.5, 21);
  ASSERT_EQ(plain.emotion, shifted.emotion);
  const DisentangleNumbers before = measureDisentanglement(plain.x.data(), plain.n, plain.d, plain.speaker, plain.emotion);
  const DisentangleNumbers after = measureDisentanglement(shifted.x.data(), shifted.n, shifted.d, shifted.speaker, shifted.emotion);
  EXPECT_GT(after.speakerWithinEmotion.accuracy, after.speakerWithinEmotion.chance + 0.1);
  EXPECT_EQ(speakerInformation(after), SpeakerInformation::BeyondEmotion);
  const std::string words = describeDisentanglement("Shifted", after, "Plain", &before);
  EXPECT_NE(words.find("beyond what the emotion explains"), std::string::npos) << words;
  EXPECT_NE(words.find("Against Plain: speaker information beyond emotion +"), std::string::npos) << words;
  // Noise alone: nothing to find, overall or within.
  MixedCorpus noise = plain;
  std::mt19937_64 g(3);
  std::normal_distribution<float> z(0.0f, 1.0f);
  for (float& v : noise.x) v = z(g);
  const DisentangleNumbers none = measureDisentanglement(noise.x.data(), noise.n, noise.d, noise.speaker, noise.emotion);
  EXPECT_EQ(speakerInformation(none), SpeakerInformation::None) << describeDisentanglement("Noise", none);
}

// An emotion that one speaker alone says gives the speaker away (accuracy = chance = 1, not
// probed); one with fewer than 2 x folds rows is left out and counted.
TEST(ConditionalProbe, OneSpeakerEmotionsCountAsGivenAwayAndSmallOnesAreLeftOut) {
  std::vector<float> x;
  std::vector<int> speaker, emotion;
  std::mt19937_64 g(9);
  std::normal_distribution<float> z(0.0f, 1.0f);
  auto add = [&](int s, int e) {
    speaker.push_back(s);
    emotion.push_back(e);
    x.push_back(z(g));
    x.push_back(z(g) + static_cast<float>(s));
  };
  for (int i = 0; i < 40; ++i) add(i % 2, 0);  // emotion 0: two speakers
  for (int i = 0; i < 20; ++i) add(2, 1);      // emotion 1: speaker 2 only
  for (int i = 0; i < 6; ++i) add(i % 3, 2);   // emotion 2: too few for 5 folds
  const ConditionalProbe r = conditionalProbe(x.data(), speaker.size(), 2, speaker, emotion);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_TRUE(r.groups[0].probed);
  EXPECT_EQ(r.groups[0].labels, 2);
  EXPECT_FALSE(r.groups[1].probed);
  EXPECT_EQ(r.groups[1].accuracy, 1.0);
  EXPECT_EQ(r.rows, 60u);
  EXPECT_EQ(r.rowsLeftOut, 6u);
  EXPECT_NEAR(r.chance, (40 * 0.5 + 20 * 1.0) / 60, 1e-12);
  EXPECT_NEAR(r.accuracy, (40 * r.groups[0].accuracy + 20) / 60, 1e-12);
  EXPECT_THROW(conditionalProbe(x.data(), 6, 2, {0, 1, 2, 0, 1, 2}, {0, 0, 0, 0, 0, 0}), std::invalid_argument);
  // Every emotion too small: the other numbers stand, the sentence says what was not measured.
  std::vector<int> eachOwn(speaker.size());
  for (std::size_t i = 0; i < eachOwn.size(); ++i) eachOwn[i] = static_cast<int>(i / 4);
  const DisentangleNumbers n = measureDisentanglement(x.data(), speaker.size(), 2, speaker, eachOwn);
  EXPECT_TRUE(n.error.empty()) << n.error;
  EXPECT_FALSE(std::isnan(n.speakerProbe.accuracy));
  EXPECT_TRUE(std::isnan(n.speakerWithinEmotion.accuracy));
  EXPECT_NE(n.speakerWithinEmotion.error.find("no emotion has 10 utterances"), std::string::npos) << n.speakerWithinEmotion.error;
  const std::string words = describeDisentanglement("X", n);
  EXPECT_TRUE(words.find("not measured") != std::string::npos || words.find("no speaker identity") != std::string::npos) << words;
}

namespace {

/// The named speakers' raw audio of a demo corpus ("other" left out, as the feature sets do).
DisentangleNumbers rawAudioNumbers(const mlsan::data::DemoConfig& config) {
  const auto c = mlsan::data::makeDemoCorpus(config);
  const int other = c.speakers.back() == "other" ? static_cast<int>(c.speakers.size()) - 1 : -1;
  std::vector<float> x;
  std::vector<int> speaker, emotion;
  for (const auto& d : c.dialogues)
    for (std::size_t t = 0; t < d.size(); ++t) {
      const auto& u = d.utterances[t];
      if (u.speaker == other || u.label < 0) continue;
      const float* row = c.audioRow(d.firstRow + t);
      x.insert(x.end(), row, row + c.dimAudio);
      speaker.push_back(u.speaker);
      emotion.push_back(u.label);
    }
  return measureDisentanglement(x.data(), speaker.size(), static_cast<std::size_t>(c.dimAudio), speaker, emotion);
}

mlsan::data::DemoConfig smallDemo() {
  mlsan::data::DemoConfig c;
  c.dialogues = 150;
  c.dimText = 16;
  c.dimAudio = 48;
  c.dimVisual = 16;
  return c;
}

}  // namespace

// A corpus whose generator records the truth. With every per-speaker trait of the audio off (the
// same reliability for all, no resting expression, no expressiveness) and the speakers' emotion
// mixes kept apart (disposition s.d. 1.5), the raw audio says nothing about the speaker beyond
// the emotion. With the default resting expression (each speaker's own shift of audio and visual)
// it does.
TEST(ConditionalProbe, OnTheDemoGeneratorItFindsTheSpeakerTraitsThatAreThereAndNoneThatAreNot) {
  auto none = smallDemo();
  none.reliableProb = none.unreliableProb = none.balancedProb = 0.65;
  none.restingExpression = 0.0;
  none.expressGainSigma = 0.0;
  none.dispositionSigma = 1.5;
  const DisentangleNumbers free = rawAudioNumbers(none);
  ASSERT_TRUE(free.error.empty()) << free.error;
  EXPECT_LT(free.speakerWithinEmotion.accuracy - free.speakerWithinEmotion.chance, kSpeakerLiftPoints / 100)
      << describeDisentanglement("Audio (raw)", free);
  EXPECT_NE(speakerInformation(free), SpeakerInformation::BeyondEmotion);
  auto resting = none;
  resting.restingExpression = 1.0;  // the default
  const DisentangleNumbers shifted = rawAudioNumbers(resting);
  EXPECT_EQ(speakerInformation(shifted), SpeakerInformation::BeyondEmotion) << describeDisentanglement("Audio (raw)", shifted);
  std::printf("no speaker traits: %s\nresting expression: %s\n", describeDisentanglement("Audio (raw)", free).c_str(),
              describeDisentanglement("Audio (raw)", shifted).c_str());
}
