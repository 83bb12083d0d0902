// SPDX-License-Identifier: GPL-3.0-or-later
// The built-in text extractor (extract/text_features.h): words, terms, the hash's published test
// vectors, and what TF-IDF must do: unit length, shared words raise the cosine, a word in every
// training document weighs less than a rare one.
#include <gtest/gtest.h>

#include <cmath>

#include "mlsan/extract/text_features.h"

using namespace mlsan::extract;

namespace {
double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}
}  // namespace

TEST(TextFeatures, WordsTermsAndTheHash) {
  EXPECT_EQ(textWords("I'm SO happy!! ''"), (std::vector<std::string>{"i'm", "so", "happy"}));
  EXPECT_EQ(textWords("caf\xc3\xa9 au lait"), (std::vector<std::string>{"caf\xc3\xa9", "au", "lait"}));
  EXPECT_TRUE(textWords(" ...!? ").empty());
  EXPECT_EQ(textTerms("Oh my God"), (std::vector<std::string>{"oh", "my", "god", "oh my", "my god"}));
  TextFeatureConfig noBigrams;
  noBigrams.bigrams = false;
  EXPECT_EQ(textTerms("Oh my God", noBigrams).size(), 3u);
  // FNV-1a 64 test vectors (Fowler, Noll and Vo's reference).
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}

TEST(TextFeatures, TfIdfIsUnitLengthSharesWordsAndDownweightsCommonOnes) {
  TextHasher h;
  const auto a = h.transform("I can't believe you did that");
  ASSERT_EQ(a.size(), 1024u);
  EXPECT_NEAR(dot(a, a), 1.0, 1e-6);
  EXPECT_EQ(h.transform("I can't believe you did that"), a);
  EXPECT_EQ(h.transform("?!"), std::vector<float>(1024, 0.0f));
  const double shared = dot(a, h.transform("I can't believe it"));
  const double other = dot(a, h.transform("we are going to Vegas"));
  EXPECT_GT(shared, 0.4);
  EXPECT_LT(std::abs(other), 0.2);
  // IDF: "the" is in every training document, "vegas" in one.
  h.fit({"the cat sat", "the dog ran", "the vegas trip", "the end"});
  const std::uint64_t the = fnv1a64("the") % 1024, vegas = fnv1a64("vegas") % 1024;
  ASSERT_NE(the, vegas);
  EXPECT_NEAR(h.idf()[the], 1.0, 1e-12);
  EXPECT_NEAR(h.idf()[vegas], std::log(5.0 / 2.0) + 1.0, 1e-12);
  const auto v = h.transform("the vegas");
  EXPECT_GT(std::abs(v[vegas]), std::abs(v[the]));
  EXPECT_THROW(TextHasher(TextFeatureConfig{0, true}), std::invalid_argument);
}
