// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What `mlsan extract` asks of a feature extractor, one interface per modality, and the three
// built-in ones. The pipeline hands each extractor one utterance at a time:
//   audio:  the utterance's samples, mono, 16 kHz, full scale +-1;
//   visual: its face crops, N x 3 x S x S floats (RGB, 0..1, channels first; S = faceSide()),
//           N = 1..20 frames spread over the span (never called with no face: the pipeline
//           stores zeros then, as MultiEMO does);
//   text:   its transcript (UTF-8).
// Each returns one vector of dim() values, or throws std::runtime_error with the reason (the
// pipeline reports it for that utterance and goes on). identity() names the extractor and
// everything that changes its output (for a model file, its content hash): the cache keys
// carry it, so a different extractor never reuses another's vectors. extract() may be called
// from several threads at once. The TorchScript plug-ins (model/torchscript_extractors.h)
// implement the same interfaces.
#include <memory>
#include <string>
#include <vector>

namespace mlsan::extract {

constexpr int kAudioSampleRate = 16000;
constexpr int kMaxFaceFrames = 20;

class AudioExtractor {
 public:
  virtual ~AudioExtractor() = default;
  virtual std::string identity() const = 0;
  virtual int dim() const = 0;
  virtual std::vector<float> extract(const std::vector<float>& samples) const = 0;
};

class VisualExtractor {
 public:
  virtual ~VisualExtractor() = default;
  virtual std::string identity() const = 0;
  virtual int dim() const = 0;
  /// The side of the square face crops it takes.
  virtual int faceSide() const = 0;
  virtual std::vector<float> extract(const std::vector<float>& crops, int count) const = 0;
};

class TextExtractor {
 public:
  virtual ~TextExtractor() = default;
  virtual std::string identity() const = 0;
  virtual int dim() const = 0;
  /// Called once with the training split's transcripts before any extract().
  virtual void fit(const std::vector<std::string>& /*training*/) {}
  /// True when extract() depends only on identity() and the text (a fitted extractor is not:
  /// its vectors are never cached).
  virtual bool cacheable() const { return true; }
  virtual std::vector<float> extract(const std::string& text) const = 0;
};

/// The three extractors of one extraction.
struct Extractors {
  std::shared_ptr<AudioExtractor> audio;
  std::shared_ptr<VisualExtractor> visual;
  std::shared_ptr<TextExtractor> text;
};

/// Built-in: log-mel, MFCC, energy and pitch statistics (audio_features.h; 163 values).
std::shared_ptr<AudioExtractor> builtinAudioExtractor();
/// Built-in: HOG and uniform LBP of a 64 x 64 grey crop, averaged (visual_features.h; 560 values).
/// The grey level is 0.299 R + 0.587 G + 0.114 B.
std::shared_ptr<VisualExtractor> builtinVisualExtractor();
/// Built-in: hashed word and bigram TF-IDF, fitted on the training transcripts (text_features.h;
/// 1,024 values).
std::shared_ptr<TextExtractor> builtinTextExtractor();
/// The built-in three.
Extractors builtinExtractors();

}  // namespace mlsan::extract
