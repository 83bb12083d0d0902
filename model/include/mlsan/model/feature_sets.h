// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The feature sets the disentanglement analyses compare, for the utterances of an Inference, with
// each utterance's speaker and gold emotion. Per modality, every stage the features go through in
// the model: raw, after FiLM (the paper's Fig. 5), after the modality projection, and after the
// speaker gate (what the fusion reads); then the fused representation. Speakers without a global
// identity ("other": many people under one name) and unlabelled utterances are left out; visual
// rows whose raw features are all zero (no face found) are left out of every visual set.
// Torch-free; any thread.
#include <cstdint>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/engine.h"

namespace mlsan::model {

/// The values are stable (5 and later were added after the first five).
enum class FeatureKind { AudioRaw, AudioFilm, VisualRaw, VisualFilm, Fused, AudioProj, AudioGated, VisualProj, VisualGated };
constexpr int kFeatureKinds = 9;
/// Every kind in the model's order: audio raw, FiLM, projection, gate; visual the same; fused.
extern const FeatureKind kFeatureKindOrder[kFeatureKinds];

/// "audio_raw", "audio_film", "audio_proj", "audio_gated", "visual_raw", ..., "fused".
const char* featureKindName(FeatureKind kind);
/// A human label: "Audio (raw)", "Audio (after FiLM)", "Audio (after projection)", "Audio (after
/// the gate)", ... For a model without a gate, the gated kinds are the context features the gate
/// would scale; `gate` false labels them "Audio (context, no gate)".
const char* featureKindLabel(FeatureKind kind, bool gate = true);
/// Parses a name of featureKindName; throws std::invalid_argument listing the names.
FeatureKind parseFeatureKind(const std::string& name);
/// The stage before `kind` in the model (audio_film -> audio_raw, audio_proj -> audio_film,
/// audio_gated -> audio_proj); itself for the raw kinds and for fused.
FeatureKind previousStage(FeatureKind kind);
/// Every stage of `kind`'s modality in the model's order (the kinds that previousStage leads back
/// to the same raw kind): audio_raw .. audio_gated, visual_raw .. visual_gated, or fused alone.
std::vector<FeatureKind> stagesOf(FeatureKind kind);

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
