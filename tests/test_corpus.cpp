// SPDX-License-Identifier: GPL-3.0-or-later
// The corpus model, the built-in demo corpus and the project's corpus format.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/corpus_source.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"

namespace fs = std::filesystem;
using namespace mlsan::data;

namespace {
fs::path tempDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("mlsan-test-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}
}  // namespace

TEST(LabelSets, FollowMultiEmoOrder) {
  const auto m = meldLabels();
  ASSERT_EQ(m.size(), 7);
  EXPECT_EQ(m.labels[0], "neutral");
  EXPECT_EQ(m.labels[2], "fear");
  EXPECT_EQ(m.labels[6], "anger");
  EXPECT_EQ(m.indexOf("JOY"), 4);
  const auto i = iemocapLabels();
  ASSERT_EQ(i.size(), 6);
  EXPECT_EQ(i.labels[0], "happiness");
  EXPECT_EQ(i.labels[5], "frustration");
  EXPECT_EQ(i.indexOf("nope"), -1);
}

TEST(DemoCorpus, HasTheRealDimsAndStructure) {
  const Corpus c = makeDemoCorpus();
  EXPECT_EQ(c.dimText, 768);
  EXPECT_EQ(c.dimAudio, 512);
  EXPECT_EQ(c.dimVisual, 1000);
  EXPECT_EQ(c.labels.name, "meld");
  EXPECT_EQ(c.speakers.size(), 13u);
  EXPECT_EQ(c.speakers.back(), "other");
  const std::size_t n = c.numUtterances();
  EXPECT_GT(n, 2000u);
  EXPECT_LT(n, 10000u);
  EXPECT_NO_THROW(c.validate());
  std::set<Split> splits;
  for (const auto& d : c.dialogues) {
    splits.insert(d.split);
    EXPECT_GE(d.size(), 1u);
    EXPECT_LE(d.size(), 24u);
    std::set<int> parties;
    for (const auto& u : d.utterances) parties.insert(u.party);
    EXPECT_LE(parties.size(), 6u);
    EXPECT_EQ(*parties.rbegin() + 1, static_cast<int>(parties.size())) << "parties numbered by first appearance";
  }
  EXPECT_EQ(splits.size(), 3u);
}

TEST(DemoCorpus, HasMeldsClassImbalance) {
  const Corpus c = makeDemoCorpus();
  std::vector<int> count(7, 0);
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances) ++count[u.label];
  // neutral most common; fear and disgust the rarest, as in MELD.
  for (int k = 1; k < 7; ++k) EXPECT_GT(count[0], count[k]);
  EXPECT_LT(count[2], count[4]);
  EXPECT_LT(count[5], count[6]);
  EXPECT_GT(count[2], 0);
}

TEST(DemoCorpus, IsDeterministicForASeedAndDiffersAcrossSeeds) {
  DemoConfig cfg;
  cfg.dialogues = 30;
  const Corpus a = makeDemoCorpus(cfg), b = makeDemoCorpus(cfg);
  EXPECT_EQ(a.audio, b.audio);
  EXPECT_EQ(a.signature(), b.signature());
  cfg.seed = 8;
  EXPECT_NE(makeDemoCorpus(cfg).signature(), a.signature());
}

TEST(DemoCorpus, ContextCarriesEmotionAcrossTurns) {
  DemoConfig cfg;
  auto sameAsPrevious = [](const Corpus& c) {
    long same = 0, pairs = 0;
    for (const auto& d : c.dialogues)
      for (std::size_t t = 1; t < d.size(); ++t) { ++pairs; same += d.utterances[t].label == d.utterances[t - 1].label; }
    return static_cast<double>(same) / pairs;
  };
  const double carried = sameAsPrevious(makeDemoCorpus(cfg));
  cfg.contextCarry = 0;
  const double independent = sameAsPrevious(makeDemoCorpus(cfg));
  EXPECT_GT(carried, independent + 0.3);
}

namespace {
// Mutual information (nats) between the speaker and the emotion label over all utterances.
double speakerEmotionInformation(const Corpus& c) {
  const int S = static_cast<int>(c.speakers.size()), C = c.labels.size();
  std::vector<double> joint(S * C, 0), ps(S, 0), pc(C, 0);
  double n = 0;
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances) { ++joint[u.speaker * C + u.label]; ++ps[u.speaker]; ++pc[u.label]; ++n; }
  double mi = 0;
  for (int s = 0; s < S; ++s)
    for (int k = 0; k < C; ++k)
      if (joint[s * C + k] > 0) mi += joint[s * C + k] / n * std::log(joint[s * C + k] * n / (ps[s] * pc[k]));
  return mi;
}
}  // namespace

TEST(DemoCorpus, DispositionTiltsEachSpeakersEmotions) {
  // The knob is on by default (MELD's measured spread); with it off, what is left of the
  // speaker-emotion dependence is sampling noise. The same seed draws the same dialogues and
  // speakers either way, only the emotions differ.
  DemoConfig cfg;
  cfg.dialogues = 2000;
  ASSERT_GT(cfg.dispositionSigma, 0);
  const double tilted = speakerEmotionInformation(makeDemoCorpus(cfg));
  cfg.dispositionSigma = 0;
  const double alike = speakerEmotionInformation(makeDemoCorpus(cfg));
  cfg.dispositionSigma = 1.0;
  const double strong = speakerEmotionInformation(makeDemoCorpus(cfg));
  EXPECT_GT(tilted, 1.5 * alike) << "alike " << alike << ", tilted " << tilted;
  EXPECT_GT(strong, 2 * tilted) << "tilted " << tilted << ", strong " << strong;
}

namespace {
// Distance between two named speakers' mean audio vectors.
double speakerSpread(const Corpus& c, int a, int b) {
  std::vector<std::vector<double>> mean(c.speakers.size(), std::vector<double>(c.dimAudio, 0));
  std::vector<long> n(c.speakers.size(), 0);
  for (const auto& d : c.dialogues)
    for (std::size_t t = 0; t < d.size(); ++t) {
      const int s = d.utterances[t].speaker;
      if (s == static_cast<int>(c.speakers.size()) - 1) continue;
      ++n[s];
      const float* row = c.audioRow(d.firstRow + t);
      for (int k = 0; k < c.dimAudio; ++k) mean[s][k] += row[k];
    }
  double dist = 0;
  for (int k = 0; k < c.dimAudio; ++k) dist += std::pow(mean[a][k] / n[a] - mean[b][k] / n[b], 2);
  return std::sqrt(dist);
}
}  // namespace

TEST(DemoCorpus, RestingExpressionShiftsFeaturesPerSpeaker) {
  // By default each named speaker's audio and visual lean towards a resting emotion: the
  // per-speaker shift FiLM is meant to undo. Two speakers with different leans have mean audio
  // vectors far apart; with the knobs off, only sampling noise separates them.
  DemoConfig cfg;
  DemoTruth truth;
  const Corpus c = makeDemoCorpus(cfg, &truth);
  int a = 0, b = 1;
  while (truth.named[b].restingClass == truth.named[a].restingClass) ++b;
  for (const auto& s : truth.named) EXPECT_GT(s.restingClass, 0);
  const double leaning = speakerSpread(c, a, b);
  cfg.restingExpression = 0;
  cfg.expressGainSigma = 0;
  const double plain = speakerSpread(makeDemoCorpus(cfg), a, b);
  EXPECT_GT(leaning, 3 * plain) << leaning << " vs " << plain;
}

TEST(DemoCorpus, AmbientStyleKnobShiftsEveryDimensionPerSpeaker) {
  DemoConfig cfg;
  cfg.restingExpression = 0;
  cfg.expressGainSigma = 0;
  const double plain = speakerSpread(makeDemoCorpus(cfg), 0, 1);
  cfg.styleShift = 1.0;
  cfg.styleScaleSigma = 0.6;
  EXPECT_GT(speakerSpread(makeDemoCorpus(cfg), 0, 1), 5 * plain);
}

TEST(DemoCorpus, UnreliableModalitiesShowADistractorAsConfigured) {
  DemoConfig cfg;
  DemoTruth truth;
  const Corpus c = makeDemoCorpus(cfg, &truth);
  ASSERT_EQ(truth.audioShows.size(), c.numUtterances());
  // Voice-led speakers (0, 3, 6, 9): the audio shows the true emotion about 90% of the time, the
  // face about 20% (plus distractors that happen to match).
  long n = 0, audioTrue = 0, faceTrue = 0;
  for (const auto& d : c.dialogues)
    for (std::size_t t = 0; t < d.size(); ++t) {
      const auto& u = d.utterances[t];
      const std::size_t row = d.firstRow + t;
      if (truth.extraOf[row] >= 0 || u.speaker % 3 != 0 || truth.visualShows[row] < 0) continue;
      ++n;
      audioTrue += truth.audioShows[row] == u.label;
      faceTrue += truth.visualShows[row] == u.label;
    }
  ASSERT_GT(n, 300);
  EXPECT_NEAR(static_cast<double>(audioTrue) / n, 0.9 + 0.1 * 0.35, 0.05);
  EXPECT_LT(static_cast<double>(faceTrue) / n, 0.55);
}

TEST(DemoCorpus, IemocapFormHasIemocapsShape) {
  DemoTruth truth;
  const Corpus c = makeDemoCorpus(iemocapSizedConfig(), &truth);
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.dataset, "iemocap");
  EXPECT_EQ(c.labels.name, "iemocap");
  ASSERT_EQ(c.speakers, iemocapCast());
  ASSERT_EQ(c.speakers.size(), 10u);
  EXPECT_EQ(c.dimText, 768);
  std::map<Split, int> dialogues;
  std::set<int> trainSpeakers, testSpeakers;
  std::vector<int> count(6, 0);
  for (const auto& d : c.dialogues) {
    ++dialogues[d.split];
    ASSERT_GE(d.key.size(), 6u);
    const int session = d.key[4] - '0';
    EXPECT_EQ(d.key.substr(0, 3), "Ses") << d.key;
    EXPECT_EQ(session == 5, d.split == Split::Test) << d.key << ": the test split is session 5";
    std::set<int> who;
    for (const auto& u : d.utterances) {
      who.insert(u.speaker);
      EXPECT_EQ(c.speakers[u.speaker].substr(0, 5), d.key.substr(0, 5)) << "the session's own actors";
      (d.split == Split::Test ? testSpeakers : trainSpeakers).insert(u.speaker);
      ++count[u.label];
    }
    EXPECT_EQ(who.size(), 2u) << d.key;
    EXPECT_GE(d.size(), 24u);
    EXPECT_LE(d.size(), 90u);
  }
  EXPECT_EQ(dialogues[Split::Train], 120);
  EXPECT_EQ(dialogues[Split::Test], 31);
  EXPECT_EQ(dialogues[Split::Dev], 0);
  EXPECT_EQ(trainSpeakers.size(), 8u);
  EXPECT_EQ(testSpeakers, (std::set<int>{8, 9})) << "test actors are never seen in training, as in IEMOCAP";
  EXPECT_GT(c.numUtterances(), 6500u);
  EXPECT_LT(c.numUtterances(), 8500u);
  // IEMOCAP's proportions: frustration and neutral the largest classes, happiness the rarest.
  for (int k : {0, 1, 3, 4}) EXPECT_GT(count[5], count[k]);
  for (int k : {1, 2, 3, 5}) EXPECT_LT(count[0], count[k]);
  // Every actor leans to a real emotion, never to neutral (index 2 in IEMOCAP's order).
  ASSERT_EQ(truth.named.size(), 10u);
  EXPECT_TRUE(truth.extras.empty());
  for (const auto& s : truth.named) {
    EXPECT_NE(s.restingClass, 2);
    EXPECT_GE(s.restingClass, 0);
    EXPECT_LT(s.restingClass, 6);
  }
  // Opened by name, with another seed, and as MultiEMO's IEMOCAP layout read back by the reader.
  EXPECT_EQ(openCorpus(std::string("demo-iemocap")).signature(), c.signature());
  EXPECT_NE(openCorpus(std::string("demo-iemocap:5")).signature(), c.signature());
  EXPECT_THROW(openCorpus(std::string("demo-iemocap:x")), std::runtime_error);
  const auto dir = tempDir("iemocap-form");
  writeMultiEmoFolder(c, dir.string());
  const Corpus back = readMultiEmoFolder(dir.string());
  EXPECT_EQ(back.dataset, "iemocap");
  ASSERT_EQ(back.dialogues.size(), c.dialogues.size());
  EXPECT_EQ(back.speakers.size(), 10u);
  std::map<std::string, int> perActor, perActorBack;
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances) ++perActor[c.speakers[u.speaker]];
  for (const auto& d : back.dialogues)
    for (const auto& u : d.utterances) ++perActorBack[back.speakers[u.speaker]];
  EXPECT_EQ(perActorBack, perActor) << "session + gender give back the same 10 actors";
  fs::remove_all(dir);
}

TEST(CorpusIo, RoundTripsExactly) {
  DemoConfig cfg;
  cfg.dialogues = 12;
  const Corpus c = makeDemoCorpus(cfg);
  const auto dir = tempDir("roundtrip");
  writeCorpus(c, dir.string());
  const Corpus r = readCorpus(dir.string());
  EXPECT_EQ(r.signature(), c.signature());
  EXPECT_EQ(r.text, c.text);
  EXPECT_EQ(r.dialogues[3].utterances[0].transcript, c.dialogues[3].utterances[0].transcript);
  EXPECT_EQ(r.dialogues[3].season, c.dialogues[3].season);
  for (const auto& e : fs::directory_iterator(dir)) EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos);
  fs::remove_all(dir);
}

TEST(CorpusIo, TruncatedFeaturesNameTheFile) {
  DemoConfig cfg;
  cfg.dialogues = 5;
  const auto dir = tempDir("truncated");
  writeCorpus(makeDemoCorpus(cfg), dir.string());
  const auto feat = dir / "features.f32";
  fs::resize_file(feat, fs::file_size(feat) - 100);
  try {
    readCorpus(dir.string());
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("features.f32"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

TEST(CorpusIo, NaNFeaturesAreRefusedWithTheDialogue) {
  DemoConfig cfg;
  cfg.dialogues = 5;
  Corpus c = makeDemoCorpus(cfg);
  c.audio[c.dialogues[2].firstRow * c.dimAudio + 7] = std::nanf("");
  try {
    c.validate();
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("dialogue 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("audio"), std::string::npos) << e.what();
  }
}

// The bulk scan finds a bad value anywhere and names where it is: the very last value of the
// visual matrix (an infinity), and a NaN in the middle of a block of text features.
TEST(CorpusIo, NonFiniteFeaturesAreFoundAtAnyPosition) {
  DemoConfig cfg;
  cfg.dialogues = 7;
  Corpus c = makeDemoCorpus(cfg);
  ASSERT_NO_THROW(c.validate());
  auto message = [](const Corpus& corpus) {
    try {
      corpus.validate();
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  Corpus a = c;
  a.visual.back() = std::numeric_limits<float>::infinity();
  const auto& last = a.dialogues.back();
  EXPECT_EQ(message(a), "corpus '" + a.name + "': dialogue " + last.key + ", utterance " + std::to_string(last.size() - 1) +
                            ": non-finite visual feature at dimension " + std::to_string(a.dimVisual - 1));
  Corpus b = c;
  const std::size_t row = b.dialogues[3].firstRow + 1;
  b.text[row * static_cast<std::size_t>(b.dimText) + 5] = std::nanf("");
  EXPECT_EQ(message(b), "corpus '" + b.name + "': dialogue " + b.dialogues[3].key + ", utterance 1: non-finite text feature at dimension 5");
}

TEST(CorpusIo, BadJsonAndMissingFolderAreClearErrors) {
  const auto dir = tempDir("badjson");
  std::ofstream(dir / "corpus.json") << "{ not json";
  EXPECT_THROW(
      {
        try { readCorpus(dir.string()); } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("corpus.json"), std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  EXPECT_THROW(openCorpus((dir / "nope").string()), std::runtime_error);
  EXPECT_THROW(openCorpus("demo:abc"), std::runtime_error);
  fs::remove_all(dir);
}

TEST(AtomicFile, FailedWriteLeavesThePreviousFileIntact) {
  const auto dir = tempDir("atomic");
  const auto path = (dir / "f.txt").string();
  atomicWriteFile(path, "old");
  EXPECT_THROW(atomicWriteStream(path, [](std::ostream& out) {
                 out << "half";
                 throw std::runtime_error("simulated failure");
               }),
               std::runtime_error);
  EXPECT_EQ(readFile(path), "old");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir)) { (void)e; ++files; }
  EXPECT_EQ(files, 1u) << "no temporary left behind";
  fs::remove_all(dir);
}
