// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/feature_sets.h"

#include <stdexcept>

#include "mlsan/analysis/disentangle.h"

namespace mlsan::model {

const char* featureKindName(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::AudioRaw: return "audio_raw";
    case FeatureKind::AudioFilm: return "audio_film";
    case FeatureKind::VisualRaw: return "visual_raw";
    case FeatureKind::VisualFilm: return "visual_film";
    case FeatureKind::Fused: return "fused";
  }
  return "?";
}

const char* featureKindLabel(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::AudioRaw: return "Audio (raw)";
    case FeatureKind::AudioFilm: return "Audio (FiLM-calibrated)";
    case FeatureKind::VisualRaw: return "Visual (raw)";
    case FeatureKind::VisualFilm: return "Visual (FiLM-calibrated)";
    case FeatureKind::Fused: return "Fused representation";
  }
  return "?";
}

FeatureKind parseFeatureKind(const std::string& name) {
  for (int k = 0; k < kFeatureKinds; ++k)
    if (name == featureKindName(static_cast<FeatureKind>(k))) return static_cast<FeatureKind>(k);
  throw std::invalid_argument("unknown features '" + name + "' (audio_raw, audio_film, visual_raw, visual_film or fused)");
}

FeatureKind rawCounterpart(FeatureKind kind) {
  if (kind == FeatureKind::AudioFilm) return FeatureKind::AudioRaw;
  if (kind == FeatureKind::VisualFilm) return FeatureKind::VisualRaw;
  return kind;
}

int otherSpeaker(const data::Corpus& corpus) {
  return !corpus.speakers.empty() && corpus.speakers.back() == "other" ? static_cast<int>(corpus.speakers.size()) - 1 : -1;
}

FeatureSet extractFeatureSet(const data::Corpus& corpus, const Inference& inf, FeatureKind kind, std::size_t maxSamples,
                             std::uint64_t seed) {
  const int other = otherSpeaker(corpus);
  std::vector<std::size_t> usable;
  for (std::size_t i = 0; i < inf.utterances.size(); ++i) {
    const auto& u = inf.utterances[i];
    const int spk = corpus.dialogues[static_cast<std::size_t>(u.dialogue)].utterances[static_cast<std::size_t>(u.index)].speaker;
    if (spk != other && u.label >= 0) usable.push_back(i);
  }
  const auto pick = analysis::subsampleRows(usable.size(), maxSamples == 0 ? usable.size() : maxSamples, seed);
  FeatureSet f;
  f.kind = kind;
  switch (kind) {
    case FeatureKind::AudioRaw: f.dim = static_cast<std::size_t>(corpus.dimAudio); break;
    case FeatureKind::AudioFilm: f.dim = static_cast<std::size_t>(inf.dimAudio); break;
    case FeatureKind::VisualRaw: f.dim = static_cast<std::size_t>(corpus.dimVisual); break;
    case FeatureKind::VisualFilm: f.dim = static_cast<std::size_t>(inf.dimVisual); break;
    case FeatureKind::Fused: f.dim = static_cast<std::size_t>(inf.dimFused); break;
  }
  const bool visual = kind == FeatureKind::VisualRaw || kind == FeatureKind::VisualFilm;
  for (std::size_t k : pick) {
    const std::size_t i = usable[k];
    const auto& u = inf.utterances[i];
    if (visual) {
      const float* rawV = corpus.visualRow(u.row);
      bool face = false;
      for (int t = 0; t < corpus.dimVisual && !face; ++t) face = rawV[t] != 0.0f;
      if (!face) continue;  // no face found: the zero vector says nothing
    }
    const float* src = nullptr;
    switch (kind) {
      case FeatureKind::AudioRaw: src = corpus.audioRow(u.row); break;
      case FeatureKind::AudioFilm: src = inf.filmAudio.data() + i * static_cast<std::size_t>(inf.dimAudio); break;
      case FeatureKind::VisualRaw: src = corpus.visualRow(u.row); break;
      case FeatureKind::VisualFilm: src = inf.filmVisual.data() + i * static_cast<std::size_t>(inf.dimVisual); break;
      case FeatureKind::Fused: src = inf.fused.data() + i * static_cast<std::size_t>(inf.dimFused); break;
    }
    f.x.insert(f.x.end(), src, src + f.dim);
    f.speaker.push_back(corpus.dialogues[static_cast<std::size_t>(u.dialogue)].utterances[static_cast<std::size_t>(u.index)].speaker);
    f.emotion.push_back(u.label);
    f.corpusRow.push_back(u.row);
    f.dialogue.push_back(u.dialogue);
    f.index.push_back(u.index);
  }
  return f;
}

}  // namespace mlsan::model
