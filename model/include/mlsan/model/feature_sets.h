// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The five feature sets the analyses compare (the paper's Fig. 5): raw audio, FiLM-calibrated audio, raw
// visual, FiLM-calibrated visual and the fused representation, for the utterances of an
// Inference, with each utterance's speaker and gold emotion. Speakers without a global identity
// ("other": many people under one name) and unlabelled utterances are left out; visual rows
// whose raw features are all zero (no face found) are left out of the visual sets. Torch-free;
// any thread.
#include <cstdint>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/engine.h"

namespace mlsan::model {

enum class FeatureKind { AudioRaw, AudioFilm, VisualRaw, VisualFilm, Fused };
constexpr int kFeatureKinds = 5;

/// "audio_raw", "audio_film", "visual_raw", "visual_film", "fused".
const char* featureKindName(FeatureKind kind);
/// A human label: "Audio (raw)", "Audio (FiLM)", ...
const char* featureKindLabel(FeatureKind kind);
/// Parses a name of featureKindName; throws std::invalid_argument listing the names.
FeatureKind parseFeatureKind(const std::string& name);
/// The raw counterpart of a calibrated kind (itself for raw kinds and for fused).
FeatureKind rawCounterpart(FeatureKind kind);

struct FeatureSet {
  FeatureKind kind = FeatureKind::Fused;
  std::size_t dim = 0;
  std::vector<float> x;               ///< [rows x dim]
  std::vector<int> speaker, emotion;  ///< per row: corpus speaker id, gold label
  std::vector<std::size_t> corpusRow; ///< per row: the utterance's row in the corpus
  std::vector<int> dialogue, index;   ///< per row: corpus dialogue index and position in it
  std::size_t rows() const { return speaker.size(); }
};

/// The feature set of `kind` for the utterances of `inf`, limited to a deterministic subsample
/// of at most `maxSamples` usable utterances (0 = all) drawn from `seed`. The same utterances
/// are drawn for every kind (before the no-face filter), so raw and calibrated sets pair up.
FeatureSet extractFeatureSet(const data::Corpus& corpus, const Inference& inf, FeatureKind kind, std::size_t maxSamples,
                             std::uint64_t seed);

/// The speaker id excluded as "other" (-1 when the corpus has none).
int otherSpeaker(const data::Corpus& corpus);

}  // namespace mlsan::model
