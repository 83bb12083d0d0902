// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The built-in text extractor of `mlsan extract` (issue 18): hashed word and bigram TF-IDF. No
// vocabulary to ship: each term goes to one of `dims` buckets by a 64-bit FNV-1a hash, with a sign
// from another bit of the same hash (feature hashing, Weinberger et al. 2009), so collisions cancel
// on average instead of adding up. The IDF is fitted on the training utterances; every
// utterance's vector is then TF-IDF, L2-normalised. The maths is in extract/README.md. Pure; fit
// once, then transform from any thread.
#include <cstdint>
#include <string>
#include <vector>

namespace mlsan::extract {

struct TextFeatureConfig {
  int dims = 1024;       ///< buckets
  bool bigrams = true;   ///< add each pair of neighbouring words ("word1 word2")
};

/// Lower-cased words: runs of letters, digits and apostrophes (ASCII; other bytes of UTF-8 text
/// are kept inside words, so accented words stay whole). "I'm SO happy!!" -> i'm, so, happy.
std::vector<std::string> textWords(const std::string& text);

/// The terms of a text: its words and, with bigrams, each neighbouring pair joined by a space.
std::vector<std::string> textTerms(const std::string& text, const TextFeatureConfig& config = {});

/// 64-bit FNV-1a.
std::uint64_t fnv1a64(const std::string& s);

class TextHasher {
 public:
  explicit TextHasher(TextFeatureConfig config = {});
  /// Learns the IDF from these documents (the training utterances): per bucket,
  /// ln((1 + N) / (1 + df)) + 1, df = the documents with a term in that bucket (scikit-learn's
  /// smooth IDF). Without fit, every IDF is 1.
  void fit(const std::vector<std::string>& documents);
  /// TF-IDF of one text: per bucket, sign * (1 + ln count) * idf summed over its terms, then
  /// divided by the vector's L2 norm (all zeros for a text without words).
  std::vector<float> transform(const std::string& text) const;
  const std::vector<double>& idf() const { return idf_; }
  const TextFeatureConfig& config() const { return config_; }

 private:
  TextFeatureConfig config_;
  std::vector<double> idf_;
};

}  // namespace mlsan::extract
