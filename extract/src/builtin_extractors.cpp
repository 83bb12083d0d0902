// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/extract/extractors.h"

#include <mutex>
#include <stdexcept>

#include "mlsan/extract/audio_features.h"
#include "mlsan/extract/text_features.h"
#include "mlsan/extract/visual_features.h"

namespace mlsan::extract {
namespace {

// The identities carry a version: bump it when the maths of an extractor changes, so that
// caches made by the old one are not reused.
class BuiltinAudio : public AudioExtractor {
 public:
  std::string identity() const override { return "builtin-audio/1 (log-mel 40, MFCC 13 + deltas, energy, pitch; 16 kHz)"; }
  int dim() const override { return audioVectorDim(); }
  std::vector<float> extract(const std::vector<float>& samples) const override {
    if (samples.empty()) throw std::runtime_error("no audio samples in the span");
    return audioVector(samples.data(), samples.size());
  }
};

class BuiltinVisual : public VisualExtractor {
 public:
  std::string identity() const override { return "builtin-visual/1 (HOG 324 + uniform LBP 236 of a 64x64 grey crop)"; }
  int dim() const override { return kFaceDescriptorDim; }
  int faceSide() const override { return kFaceSide; }
  std::vector<float> extract(const std::vector<float>& crops, int count) const override {
    const std::size_t plane = static_cast<std::size_t>(kFaceSide) * kFaceSide;
    if (count <= 0 || crops.size() != static_cast<std::size_t>(count) * 3 * plane)
      throw std::runtime_error("face crops of the wrong size");
    std::vector<float> grey(static_cast<std::size_t>(count) * plane);
    for (int n = 0; n < count; ++n) {
      const float* r = crops.data() + static_cast<std::size_t>(n) * 3 * plane;
      const float* g = r + plane;
      const float* b = g + plane;
      float* out = grey.data() + static_cast<std::size_t>(n) * plane;
      for (std::size_t i = 0; i < plane; ++i) out[i] = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
    }
    return visualVector(grey.data(), static_cast<std::size_t>(count));
  }
};

class BuiltinText : public TextExtractor {
 public:
  std::string identity() const override { return "builtin-text/1 (hashed word + bigram TF-IDF, 1024)"; }
  int dim() const override { return hasher_.config().dims; }
  void fit(const std::vector<std::string>& training) override {
    std::lock_guard<std::mutex> lock(mutex_);
    hasher_.fit(training);
  }
  bool cacheable() const override { return false; }
  std::vector<float> extract(const std::string& text) const override { return hasher_.transform(text); }

 private:
  TextHasher hasher_;
  std::mutex mutex_;
};

}  // namespace

std::shared_ptr<AudioExtractor> builtinAudioExtractor() { return std::make_shared<BuiltinAudio>(); }
std::shared_ptr<VisualExtractor> builtinVisualExtractor() { return std::make_shared<BuiltinVisual>(); }
std::shared_ptr<TextExtractor> builtinTextExtractor() { return std::make_shared<BuiltinText>(); }
Extractors builtinExtractors() { return {builtinAudioExtractor(), builtinVisualExtractor(), builtinTextExtractor()}; }

}  // namespace mlsan::extract
