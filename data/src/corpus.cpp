// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/data/corpus.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace mlsan::data {

const char* splitName(Split s) {
  switch (s) {
    case Split::Train: return "train";
    case Split::Dev: return "dev";
    case Split::Test: return "test";
  }
  return "?";
}

Split parseSplit(const std::string& s) {
  if (s == "train") return Split::Train;
  if (s == "dev" || s == "valid" || s == "validation") return Split::Dev;
  if (s == "test") return Split::Test;
  throw std::invalid_argument("unknown split '" + s + "' (expected train, dev or test)");
}

static std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int LabelSet::indexOf(const std::string& label) const {
  const std::string l = lower(label);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (lower(labels[i]) == l) return static_cast<int>(i);
  return -1;
}

LabelSet meldLabels() {
  return {"meld", {"neutral", "surprise", "fear", "sadness", "joy", "disgust", "anger"}};
}
LabelSet iemocapLabels() {
  return {"iemocap", {"happiness", "sadness", "neutral", "anger", "excitement", "frustration"}};
}

std::size_t Corpus::numUtterances() const {
  std::size_t n = 0;
  for (const auto& d : dialogues) n += d.utterances.size();
  return n;
}

int Corpus::maxParties() const {
  int m = 0;
  for (const auto& d : dialogues)
    for (const auto& u : d.utterances) m = std::max(m, u.party + 1);
  return m;
}

void Corpus::reindexRows() {
  std::size_t row = 0;
  for (auto& d : dialogues) {
    d.firstRow = row;
    row += d.utterances.size();
  }
}

namespace {
// FNV-1a, 64 bit: stable across platforms and runs.
struct Fnv {
  std::uint64_t h = 1469598103934665603ULL;
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) { h ^= b[i]; h *= 1099511628211ULL; }
  }
  void str(const std::string& s) { bytes(s.data(), s.size()); bytes("\0", 1); }
  template <class T> void pod(T v) { bytes(&v, sizeof v); }
};
}  // namespace

std::string Corpus::signature() const {
  Fnv f;
  f.str(dataset);
  for (const auto& l : labels.labels) f.str(l);
  for (const auto& s : speakers) f.str(s);
  f.pod(dimText); f.pod(dimAudio); f.pod(dimVisual);
  for (const auto& d : dialogues) {
    f.str(d.key);
    f.pod(static_cast<int>(d.split));
    for (const auto& u : d.utterances) { f.pod(u.speaker); f.pod(u.party); f.pod(u.label); }
  }
  // Features: hash a strided sample so that signatures of large corpora stay cheap.
  auto sample = [&f](const std::vector<float>& v) {
    f.pod(v.size());
    const std::size_t step = std::max<std::size_t>(1, v.size() / 65536);
    for (std::size_t i = 0; i < v.size(); i += step) f.pod(v[i]);
  };
  sample(text); sample(audio); sample(visual);
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(f.h));
  return buf;
}

namespace {
/// Index of the first value that is NaN or infinite (its exponent bits all set), or n. Branch-free
/// over blocks so the compiler vectorises it: a corpus's features are checked at memory speed.
std::size_t firstNonFinite(const float* p, std::size_t n) {
  constexpr std::uint32_t kExponent = 0x7f800000u;
  constexpr std::size_t kBlock = 1024;
  for (std::size_t start = 0; start < n; start += kBlock) {
    const std::size_t end = std::min(n, start + kBlock);
    std::uint32_t bad = 0;
    for (std::size_t i = start; i < end; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, p + i, sizeof bits);
      bad |= static_cast<std::uint32_t>((bits & kExponent) == kExponent);
    }
    if (bad)
      for (std::size_t i = start; i < end; ++i)
        if (!std::isfinite(p[i])) return i;
  }
  return n;
}
}  // namespace

void Corpus::validate() const {
  const std::size_t n = numUtterances();
  auto fail = [this](const std::string& what) {
    throw std::runtime_error("corpus '" + name + "': " + what);
  };
  auto where = [this](std::size_t row) {
    for (const auto& d : dialogues)
      if (row >= d.firstRow && row < d.firstRow + d.size())
        return "dialogue " + d.key + ", utterance " + std::to_string(row - d.firstRow);
    return "row " + std::to_string(row);
  };
  if (labels.labels.empty()) fail("has no label set");
  if (hasFeatures()) {
    if (text.size() != n * static_cast<std::size_t>(dimText)) fail("text feature matrix has the wrong size");
    if (audio.size() != n * static_cast<std::size_t>(dimAudio)) fail("audio feature matrix has the wrong size");
    if (visual.size() != n * static_cast<std::size_t>(dimVisual)) fail("visual feature matrix has the wrong size");
  }
  std::size_t row = 0;
  for (const auto& d : dialogues) {
    if (d.utterances.empty()) fail("dialogue " + d.key + " has no utterances");
    if (d.firstRow != row) fail("dialogue " + d.key + " has an inconsistent row index");
    for (std::size_t i = 0; i < d.utterances.size(); ++i) {
      const auto& u = d.utterances[i];
      if (u.label < -1 || u.label >= labels.size()) fail(where(row) + ": label " + std::to_string(u.label) + " out of range");
      if (u.speaker < 0 || u.speaker >= static_cast<int>(speakers.size())) fail(where(row) + ": speaker out of range");
      if (u.party < 0 || u.party > 8) fail(where(row) + ": party index out of range (0..8)");
      ++row;
    }
  }
  if (!hasFeatures()) return;
  // Features: whole matrices at once; only a bad value is traced back to its utterance.
  const struct {
    const std::vector<float>& values;
    int dim;
    const char* name;
  } matrices[] = {{text, dimText, "text"}, {audio, dimAudio, "audio"}, {visual, dimVisual, "visual"}};
  for (const auto& m : matrices) {
    if (m.dim <= 0) continue;
    const std::size_t bad = firstNonFinite(m.values.data(), m.values.size());
    if (bad < m.values.size())
      fail(where(bad / static_cast<std::size_t>(m.dim)) + ": non-finite " + m.name + " feature at dimension " +
           std::to_string(bad % static_cast<std::size_t>(m.dim)));
  }
}

}  // namespace mlsan::data
