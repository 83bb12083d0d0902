// SPDX-License-Identifier: GPL-3.0-or-later
// Silhouette and the linear probe (analysis/disentangle.h) against scikit-learn's values
// (golden/disentangle_golden.json, made by golden/make_disentangle_golden.py), and the property
// issue 5 rests on: removing a per-speaker shift lowers the speaker silhouette and the speaker
// probe's accuracy and leaves the emotion silhouette.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

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

// ---- Issue 31: folds grouped by dialogue, and emotion transfer across speakers.

TEST(GroupedFolds, EveryGroupLiesWholeInOneFoldAndTheFoldsAreBalanced) {
  std::vector<int> labels, groups;
  for (int g = 0; g < 40; ++g)
    for (int k = 0; k < 1 + g % 7; ++k) {
      groups.push_back(g);
      labels.push_back((g + k) % 3);
    }
  const auto folds = assignFolds(labels, groups, 5, 11);
  ASSERT_EQ(folds.size(), labels.size());
  std::map<int, std::set<int>> foldsOfGroup;
  std::vector<int> size(5, 0);
  for (std::size_t i = 0; i < folds.size(); ++i) {
    foldsOfGroup[groups[i]].insert(folds[i]);
    ++size[static_cast<std::size_t>(folds[i])];
  }
  for (const auto& [g, f] : foldsOfGroup) EXPECT_EQ(f.size(), 1u) << "group " << g << " split across folds";
  EXPECT_LE(*std::max_element(size.begin(), size.end()) - *std::min_element(size.begin(), size.end()), 7);
  EXPECT_EQ(assignFolds(labels, groups, 5, 11), folds) << "deterministic for a seed";
  EXPECT_NE(assignFolds(labels, groups, 5, 12), folds) << "the seed draws the order of equal groups";
  // Without groups: stratified, every label spread over all folds.
  const auto strat = assignFolds(labels, {}, 5, 11);
  std::map<int, std::set<int>> foldsOfLabel;
  for (std::size_t i = 0; i < strat.size(); ++i) foldsOfLabel[labels[i]].insert(strat[i]);
  for (const auto& [l, f] : foldsOfLabel) EXPECT_EQ(f.size(), 5u);
  EXPECT_THROW(assignFolds(labels, {1, 2}, 5, 1), std::invalid_argument);
}

// Known truth: the features hold nothing about the speaker, only a random offset per dialogue
// (what a dialogue's shared context puts into every one of its utterances), and each dialogue has
// one speaker. Folds stratified by utterance let the probe recognise the dialogue and so "decode"
// the speaker; folds grouped by dialogue find nothing, which is the truth.
TEST(GroupedFolds, CorrelatedRowsOfOneDialogueDoNotLeakIntoTheSpeakerProbe) {
  std::mt19937_64 g(5);
  std::normal_distribution<float> z(0.0f, 1.0f);
  const std::size_t d = 32;
  std::vector<float> x;
  std::vector<int> speaker, dialogue;
  for (int di = 0; di < 60; ++di) {
    std::vector<float> offset(d);
    for (auto& v : offset) v = 2.0f * z(g);
    for (int t = 0; t < 10; ++t) {
      for (std::size_t k = 0; k < d; ++k) x.push_back(offset[k] + 0.3f * z(g));
      speaker.push_back(di % 4);
      dialogue.push_back(di);
    }
  }
  const ProbeResult leaky = linearProbe(x.data(), speaker.size(), d, speaker, 5, 1.0, 1, 200);
  const ProbeResult grouped = linearProbe(x.data(), speaker.size(), d, speaker, 5, 1.0, 1, 200, {}, dialogue);
  std::printf("speaker probe on dialogue offsets: stratified by utterance %.3f, grouped by dialogue %.3f, chance %.3f\n",
              leaky.accuracy, grouped.accuracy, grouped.chance);
  EXPECT_GT(leaky.accuracy, grouped.chance + 0.3) << "rows of one dialogue on both sides of a split";
  EXPECT_LT(grouped.accuracy, grouped.chance + 0.15) << "grouped by dialogue: nothing to find";
  EXPECT_EQ(grouped.folds, 5);
}

namespace {
/// 6 speakers x 4 emotions; each utterance's features are its emotion's prototype plus noise. With
/// `ownDialect`, every speaker has prototypes of their own (their emotions look unlike anyone
/// else's); otherwise all speakers share one set.
struct Dialects {
  std::vector<float> x;
  std::vector<int> speaker, emotion, dialogue;
  std::size_t d = 48;
};
Dialects dialects(bool ownDialect, std::uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> z(0.0f, 1.0f);
  Dialects c;
  std::vector<std::vector<std::vector<float>>> proto(6, std::vector<std::vector<float>>(4, std::vector<float>(c.d)));
  for (int s = 0; s < 6; ++s)
    for (int e = 0; e < 4; ++e)
      for (std::size_t k = 0; k < c.d; ++k) proto[s][e][k] = ownDialect || s == 0 ? 1.5f * z(g) : proto[0][e][k];
  for (int di = 0; di < 120; ++di)
    for (int t = 0; t < 6; ++t) {
      const int s = di % 6, e = static_cast<int>(g() % 4);
      for (std::size_t k = 0; k < c.d; ++k) c.x.push_back(proto[s][e][k] + z(g));
      c.speaker.push_back(s);
      c.emotion.push_back(e);
      c.dialogue.push_back(di);
    }
  return c;
}
}  // namespace

// Known truth for the paper's Fig. 5 claim. Shared prototypes: an emotion probe reads speakers it
// never saw as well as those it was trained on. A dialect per speaker: it reads the speakers it
// knows and falls to chance on the others. The sentence says which.
TEST(EmotionTransfer, AProbeTransfersAcrossSpeakersOnlyWhenEmotionLooksAlike) {
  const Dialects shared = dialects(false, 3), own = dialects(true, 3);
  const EmotionTransfer a = emotionTransfer(shared.x.data(), shared.speaker.size(), shared.d, shared.emotion, shared.speaker, shared.dialogue);
  const EmotionTransfer b = emotionTransfer(own.x.data(), own.speaker.size(), own.d, own.emotion, own.speaker, own.dialogue);
  ASSERT_TRUE(a.error.empty() && b.error.empty()) << a.error << b.error;
  std::printf("shared: across %.3f within %.3f; own dialect: across %.3f within %.3f (chance %.3f)\n", a.acrossSpeakers,
              a.withinSpeakers, b.acrossSpeakers, b.withinSpeakers, b.chance);
  EXPECT_EQ(a.speakers, 6);
  EXPECT_EQ(a.folds, 5);
  EXPECT_GT(a.acrossSpeakers, 0.8);
  EXPECT_NEAR(a.acrossSpeakers, a.withinSpeakers, 0.05);
  EXPECT_GT(b.withinSpeakers, 0.6);
  EXPECT_LT(b.acrossSpeakers, b.chance + 0.15);
  EXPECT_GT(b.gap(), 0.3);
  const DisentangleNumbers n = measureDisentanglement(own.x.data(), own.speaker.size(), own.d, own.speaker, own.emotion, 5, 1, 100, {}, own.dialogue);
  EXPECT_TRUE(n.foldsByDialogue);
  EXPECT_NEAR(n.emotionAcrossSpeakers.acrossSpeakers, b.acrossSpeakers, 1e-12);
  EXPECT_NE(describeDisentanglement("X", n).find("in a way of their own"), std::string::npos) << describeDisentanglement("X", n);
  const DisentangleNumbers m = measureDisentanglement(shared.x.data(), shared.speaker.size(), shared.d, shared.speaker, shared.emotion, 5, 1, 100, {}, shared.dialogue);
  EXPECT_NE(describeDisentanglement("X", m).find("looks alike across speakers"), std::string::npos) << describeDisentanglement("X", m);
  // One speaker: nothing to transfer to.
  const std::vector<int> one(shared.speaker.size(), 0);
  EXPECT_EQ(emotionTransfer(shared.x.data(), one.size(), shared.d, shared.emotion, one).error, "fewer than 2 speakers");
}

// Known truth: features that only recognise the dialogue (a random offset per dialogue) and one
// emotion per dialogue. No probe can read the emotion from such features for a dialogue it has
// not seen; a probe that keeps a held-out speaker's dialogues in training (their other speaker's
// utterances) would read it through the dialogue. Both transfer figures stay at chance.
TEST(EmotionTransfer, AHeldOutSpeakersDialoguesStayOutOfTraining) {
  std::mt19937_64 g(7);
  std::normal_distribution<float> z(0.0f, 1.0f);
  const std::size_t d = 32;
  std::vector<float> x;
  std::vector<int> speaker, emotion, dialogue;
  for (int di = 0; di < 80; ++di) {
    std::vector<float> offset(d);
    for (auto& v : offset) v = 2.0f * z(g);
    for (int t = 0; t < 8; ++t) {
      for (std::size_t k = 0; k < d; ++k) x.push_back(offset[k] + 0.3f * z(g));
      speaker.push_back(t % 2 == 0 ? di % 6 : (di + 1) % 6);
      emotion.push_back(di % 4);
      dialogue.push_back(di);
    }
  }
  const EmotionTransfer t = emotionTransfer(x.data(), speaker.size(), d, emotion, speaker, dialogue);
  ASSERT_TRUE(t.error.empty()) << t.error;
  std::printf("emotion from dialogue offsets: unseen speakers %.3f, seen speakers %.3f, chance %.3f\n", t.acrossSpeakers,
              t.withinSpeakers, t.chance);
  EXPECT_LT(t.acrossSpeakers, t.chance + 0.15) << "the held-out speakers' dialogues leaked into training";
  EXPECT_LT(t.withinSpeakers, t.chance + 0.15);
}
