// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/text_features.h"

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

namespace mlsan::extract {
namespace {

bool wordByte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80; }

/// The bucket of a term and its sign: the low bits pick the bucket, the top bit the sign.
std::pair<std::size_t, double> bucketOf(const std::string& term, int dims) {
  const std::uint64_t h = fnv1a64(term);
  return {static_cast<std::size_t>(h % static_cast<std::uint64_t>(dims)), (h >> 63) ? -1.0 : 1.0};
}

}  // namespace

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // the offset basis
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::vector<std::string> textWords(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (unsigned char c : text) {
    if (wordByte(c)) {
      w.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(w);
  // A word of apostrophes alone ("''") is punctuation.
  std::vector<std::string> out;
  for (auto& x : words)
    if (x.find_first_not_of('\'') != std::string::npos) out.push_back(std::move(x));
  return out;
}

std::vector<std::string> textTerms(const std::string& text, const TextFeatureConfig& config) {
  const auto words = textWords(text);
  std::vector<std::string> terms = words;
  if (config.bigrams)
    for (std::size_t i = 0; i + 1 < words.size(); ++i) terms.push_back(words[i] + " " + words[i + 1]);
  return terms;
}

TextHasher::TextHasher(TextFeatureConfig config) : config_(config) {
  if (config_.dims < 1) throw std::invalid_argument("text features: needs at least 1 dimension");
  idf_.assign(static_cast<std::size_t>(config_.dims), 1.0);
}

void TextHasher::fit(const std::vector<std::string>& documents) {
  std::vector<long> df(static_cast<std::size_t>(config_.dims), 0);
  for (const auto& d : documents) {
    std::set<std::size_t> seen;
    for (const auto& t : textTerms(d, config_)) seen.insert(bucketOf(t, config_.dims).first);
    for (std::size_t b : seen) ++df[b];
  }
  const double n = static_cast<double>(documents.size());
  for (std::size_t b = 0; b < idf_.size(); ++b) idf_[b] = std::log((1.0 + n) / (1.0 + static_cast<double>(df[b]))) + 1.0;
}

std::vector<float> TextHasher::transform(const std::string& text) const {
  std::map<std::string, int> counts;
  for (const auto& t : textTerms(text, config_)) ++counts[t];
  std::vector<double> v(static_cast<std::size_t>(config_.dims), 0.0);
  for (const auto& [term, count] : counts) {
    const auto [b, sign] = bucketOf(term, config_.dims);
    v[b] += sign * (1.0 + std::log(static_cast<double>(count))) * idf_[b];
  }
  double norm = 0;
  for (double x : v) norm += x * x;
  norm = std::sqrt(norm);
  std::vector<float> out(v.size(), 0.0f);
  if (norm > 0)
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] / norm);
  return out;
}

}  // namespace mlsan::extract
