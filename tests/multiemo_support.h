// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Helpers of the MultiEMO reader and corpus cache tests (test_multiemo.cpp,
// test_corpus_cache.cpp): temporary folders, the small-dims options, the corpus the generated
// folders hold, and comparisons.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_cache.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"
#include "mlsan/data/pickle.h"
#include "mlsan/data/pickle_writer.h"

namespace multiemo_test {

using namespace mlsan::data;
namespace fs = std::filesystem;

inline std::string fixture(const std::string& name) { return std::string(MLSAN_TEST_SOURCE_DIR) + "/fixtures/pickle/" + name; }
inline std::string testData(const std::string& name) { return std::string(MLSAN_TEST_DATA_DIR) + "/" + name; }

/// A fresh folder under the system temp dir, removed at the end of the test.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static int counter = 0;
    path = fs::temp_directory_path() / ("mlsan_multiemo_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

constexpr int kDimT = 8, kDimA = 6, kDimV = 4;
inline MultiEmoOptions smallDims() {
  MultiEmoOptions o;
  o.dimText = kDimT;
  o.dimAudio = kDimA;
  o.dimVisual = kDimV;
  return o;
}

inline float featureValue(int modality, std::size_t row, int dim) { return 1000.0f * modality + static_cast<float>(row) + 0.25f * dim; }

/// The corpus the generated folders hold, built directly (what reading them must give back).
inline Corpus sourceCorpus(const std::string& dataset) {
  Corpus c;
  c.dataset = dataset;
  const bool meld = dataset == "meld";
  c.labels = meld ? meldLabels() : iemocapLabels();
  c.speakerSource = meld ? "party" : "actors";
  c.dimText = kDimT;
  c.dimAudio = kDimA;
  c.dimVisual = kDimV;
  const std::vector<std::string> keys = meld ? std::vector<std::string>{"0", "1", "3", "1039", "1040", "1153", "1160"}
                                             : std::vector<std::string>{"Ses01F_impro01", "Ses01M_script02_1", "Ses03F_impro05",
                                                                        "Ses05F_impro02", "Ses05M_script01_1b"};
  const int lengths[] = {3, 1, 5, 2, 4, 3, 2};
  std::vector<std::string> actors;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    Dialogue d;
    d.key = keys[k];
    d.split = meld ? (std::stoi(d.key) >= 1153 ? Split::Test : Split::Train) : (d.key.compare(0, 5, "Ses05") == 0 ? Split::Test : Split::Train);
    for (int i = 0; i < lengths[k]; ++i) {
      Utterance u;
      u.label = static_cast<int>((k * 3 + i) % c.labels.size());
      u.transcript = "dialogue " + d.key + " line " + std::to_string(i) + " it\xC2\x92s";
      if (meld) {
        u.party = static_cast<int>((i * (k + 1)) % 3);
        u.speaker = u.party;
        u.utteranceId = 2 * i;
      } else {
        const char own = d.key[5], other = own == 'F' ? 'M' : 'F';
        const char g = (i % 3 == 1) ? other : own;  // the first utterance is always the key's own gender
        u.party = g == own ? 0 : 1;
        actors.push_back(d.key.substr(0, 5) + g);
        u.speaker = static_cast<int>(actors.size() - 1);  // fixed below
      }
      d.utterances.push_back(u);
    }
    c.dialogues.push_back(d);
  }
  if (meld) {
    for (int p = 1; p <= 9; ++p) c.speakers.push_back("party " + std::to_string(p));
  } else {
    std::vector<std::string> sorted = actors;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    c.speakers = sorted;
    for (auto& d : c.dialogues)
      for (auto& u : d.utterances)
        u.speaker = static_cast<int>(std::find(sorted.begin(), sorted.end(), actors[u.speaker]) - sorted.begin());
  }
  c.reindexRows();
  const std::size_t rows = c.numUtterances();
  for (std::size_t r = 0; r < rows; ++r) {
    for (int j = 0; j < kDimT; ++j) c.text.push_back(featureValue(0, r, j));
    for (int j = 0; j < kDimA; ++j) c.audio.push_back(featureValue(1, r, j));
    for (int j = 0; j < kDimV; ++j) c.visual.push_back(featureValue(2, r, j));
  }
  c.validate();
  return c;
}

inline void expectSameCorpus(const Corpus& want, const Corpus& got, bool compareUtteranceIds = true) {
  EXPECT_EQ(got.dataset, want.dataset);
  EXPECT_EQ(got.labels.labels, want.labels.labels);
  EXPECT_EQ(got.speakers, want.speakers);
  EXPECT_EQ(got.speakerSource, want.speakerSource);
  EXPECT_EQ(got.dimText, want.dimText);
  EXPECT_EQ(got.dimAudio, want.dimAudio);
  EXPECT_EQ(got.dimVisual, want.dimVisual);
  ASSERT_EQ(got.dialogues.size(), want.dialogues.size());
  for (std::size_t k = 0; k < want.dialogues.size(); ++k) {
    const auto &a = want.dialogues[k], &b = got.dialogues[k];
    EXPECT_EQ(b.key, a.key);
    EXPECT_EQ(b.split, a.split) << a.key;
    ASSERT_EQ(b.size(), a.size()) << a.key;
    for (std::size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(b.utterances[i].label, a.utterances[i].label) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].party, a.utterances[i].party) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].speaker, a.utterances[i].speaker) << a.key << " " << i;
      EXPECT_EQ(b.utterances[i].transcript, a.utterances[i].transcript);
      if (compareUtteranceIds) {
        EXPECT_EQ(b.utterances[i].utteranceId, a.utterances[i].utteranceId);
      }
    }
  }
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.audio, want.audio);
  EXPECT_EQ(got.visual, want.visual);
}

inline std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

struct SplitCount {
  std::size_t dialogues = 0, utterances = 0;
  std::map<std::string, int> labels;
};
inline std::map<Split, SplitCount> countSplits(const Corpus& c) {
  std::map<Split, SplitCount> m;
  for (const auto& d : c.dialogues) {
    auto& s = m[d.split];
    ++s.dialogues;
    s.utterances += d.size();
    for (const auto& u : d.utterances) ++s.labels[c.labels.labels[u.label]];
  }
  return m;
}

}  // namespace multiemo_test
