// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Fixtures shared by the MELD CSV and clip tests: temporary folders, small CSV texts, and
// the paths of the real MELD CSVs under tests/data.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "mlsan/data/corpus.h"

namespace meld_fixtures {

namespace fs = std::filesystem;

inline std::string realMeldDir() { return std::string(MLSAN_TEST_DATA_DIR) + "/meld"; }
inline std::string realMeldPre2020Dir() { return std::string(MLSAN_TEST_DATA_DIR) + "/meld-pre2020-cp1252"; }

/// A fresh folder under the system temp folder, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("mlsan-meld-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  /// Writes `bytes` to `rel` (folders created) and returns the full path.
  std::string write(const std::string& rel, const std::string& bytes) const {
    const fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }

 private:
  fs::path path_;
};

inline std::string readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline const char* kHeader =
    "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\r\n";

/// One CSV record in MELD's column order (utterance quoted, CRLF end).
inline std::string row(int sr, const std::string& utt, const std::string& spk, const std::string& emo, int dia,
                       int uttId, const std::string& start = "00:00:01,000", const std::string& end = "00:00:02,500") {
  std::string q;
  for (char c : utt) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return std::to_string(sr) + ",\"" + q + "\"," + spk + "," + emo + ",neutral," + std::to_string(dia) + "," +
         std::to_string(uttId) + ",3,7,\"" + start + "\",\"" + end + "\"\r\n";
}

/// Writes a small but complete MELD folder (three CSVs) into `dir`:
/// train dialogues 0 (Ross, Rachel, Ross), 1 (Joey, Gunther with a gap in ids) and 2;
/// dev dialogue 0; test dialogues 0 and 1.
inline void writeSmallMeldFolder(const TempDir& dir, const std::string& sub = "") {
  const std::string p = sub.empty() ? "" : sub + "/";
  dir.write(p + "train_sent_emo.csv",
            std::string(kHeader) + row(1, "Hi, Rachel.", "Ross", "joy", 0, 0) + row(2, "Hi.", "Rachel", "neutral", 0, 1) +
                row(3, "So... \"coffee\"?", "Ross", "surprise", 0, 2) + row(4, "How you doin'?", "Joey", "joy", 1, 0) +
                row(5, "No.", "Gunther", "anger", 1, 3) + row(6, "Line one\nline two", "Joey", "sadness", 1, 1) +
                row(7, "Pivot!", "Ross/Mover", "anger", 2, 0) + row(8, "Oh.", "Chandler", "fear", 2, 1));
  dir.write(p + "dev_sent_emo.csv",
            std::string(kHeader) + row(1, "Smelly cat.", "Phoebe", "joy", 0, 0) + row(2, "Ew.", "Monica", "disgust", 0, 1));
  dir.write(p + "test_sent_emo.csv",
            std::string(kHeader) + row(1, "We were on a break!", "Ross", "anger", 0, 0) +
                row(2, "Unagi.", "Ross", "neutral", 1, 0) + row(3, "Hello.", "Stranger", "neutral", 1, 1));
}

/// True when one of the corpus's problems mentions `a` (and `b`).
inline bool anyProblemContains(const mlsan::data::Corpus& c, const std::string& a, const std::string& b = "") {
  for (const auto& p : c.problems)
    if (p.find(a) != std::string::npos && p.find(b) != std::string::npos) return true;
  return false;
}

}  // namespace meld_fixtures
