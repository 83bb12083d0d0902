// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/feature_sets.h"

#include <stdexcept>

#include "mlsan/analysis/disentangle.h"

namespace mlsan::model {

const FeatureKind kFeatureKindOrder[kFeatureKinds] = {
    FeatureKind::AudioRaw,  FeatureKind::AudioFilm,  FeatureKind::AudioProj,  FeatureKind::AudioGated, FeatureKind::VisualRaw,
    FeatureKind::VisualFilm, FeatureKind::VisualProj, FeatureKind::VisualGated, FeatureKind::Fused};

const char* featureKindName(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::AudioRaw: return "audio_raw";
    case FeatureKind::AudioFilm: return "audio_film";
    case FeatureKind::AudioProj: return "audio_proj";
    case FeatureKind::AudioGated: return "audio_gated";
    case FeatureKind::VisualRaw: return "visual_raw";
    case FeatureKind::VisualFilm: return "visual_film";
    case FeatureKind::VisualProj: return "visual_proj";
    case FeatureKind::VisualGated: return "visual_gated";
    case FeatureKind::Fused: return "fused";
  }
  return "?";
}

const char* featureKindLabel(FeatureKind kind, bool gate) {
  switch (kind) {
    case FeatureKind::AudioRaw: return "Audio (raw)";
    case FeatureKind::AudioFilm: return "Audio (after FiLM)";
    case FeatureKind::AudioProj: return "Audio (after projection)";
    case FeatureKind::AudioGated: return gate ? "Audio (after the gate)" : "Audio (context, no gate)";
    case FeatureKind::VisualRaw: return "Visual (raw)";
    case FeatureKind::VisualFilm: return "Visual (after FiLM)";
    case FeatureKind::VisualProj: return "Visual (after projection)";
    case FeatureKind::VisualGated: return gate ? "Visual (after the gate)" : "Visual (context, no gate)";
    case FeatureKind::Fused: return "Fused representation";
  }
  return "?";
}

FeatureKind parseFeatureKind(const std::string& name) {
  std::string names;
  for (FeatureKind k : kFeatureKindOrder) {
    if (name == featureKindName(k)) return k;
    names += (names.empty() ? "" : ", ") + std::string(featureKindName(k));
  }
  throw std::invalid_argument("unknown features '" + name + "' (" + names + ")");
}

FeatureKind previousStage(FeatureKind kind) {
  switch (kind) {
    case FeatureKind::AudioFilm: return FeatureKind::AudioRaw;
    case FeatureKind::AudioProj: return FeatureKind::AudioFilm;
    case FeatureKind::AudioGated: return FeatureKind::AudioProj;
    case FeatureKind::VisualFilm: return FeatureKind::VisualRaw;
    case FeatureKind::VisualProj: return FeatureKind::VisualFilm;
    case FeatureKind::VisualGated: return FeatureKind::VisualProj;
    default: return kind;
  }
}

namespace {
FeatureKind firstStage(FeatureKind kind) {
  for (FeatureKind before = previousStage(kind); before != kind; before = previousStage(kind)) kind = before;
  return kind;
}
}  // namespace

std::vector<FeatureKind> stagesOf(FeatureKind kind) {
  std::vector<FeatureKind> out;
  for (FeatureKind k : kFeatureKindOrder)
    if (firstStage(k) == firstStage(kind)) out.push_back(k);
  return out;
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
  const std::vector<float>* stage = nullptr;  // the Inference's matrix, for the model's stages
  switch (kind) {
    case FeatureKind::AudioRaw: f.dim = static_cast<std::size_t>(corpus.dimAudio); break;
    case FeatureKind::AudioFilm: f.dim = static_cast<std::size_t>(inf.dimAudio); stage = &inf.filmAudio; break;
    case FeatureKind::VisualRaw: f.dim = static_cast<std::size_t>(corpus.dimVisual); break;
    case FeatureKind::VisualFilm: f.dim = static_cast<std::size_t>(inf.dimVisual); stage = &inf.filmVisual; break;
    case FeatureKind::Fused: f.dim = static_cast<std::size_t>(inf.dimFused); stage = &inf.fused; break;
    case FeatureKind::AudioProj: f.dim = static_cast<std::size_t>(inf.dimHidden); stage = &inf.projAudio; break;
    case FeatureKind::AudioGated: f.dim = static_cast<std::size_t>(inf.dimHidden); stage = &inf.gatedAudio; break;
    case FeatureKind::VisualProj: f.dim = static_cast<std::size_t>(inf.dimHidden); stage = &inf.projVisual; break;
    case FeatureKind::VisualGated: f.dim = static_cast<std::size_t>(inf.dimHidden); stage = &inf.gatedVisual; break;
  }
  if (stage && stage->size() != inf.utterances.size() * f.dim)
    throw std::invalid_argument(std::string("feature set ") + featureKindName(kind) + ": the inference holds no such features");
  const bool visual = kind == FeatureKind::VisualRaw || kind == FeatureKind::VisualFilm || kind == FeatureKind::VisualProj ||
                      kind == FeatureKind::VisualGated;
  for (std::size_t k : pick) {
    const std::size_t i = usable[k];
    const auto& u = inf.utterances[i];
    if (visual) {
      const float* rawV = corpus.visualRow(u.row);
      bool face = false;
      for (int t = 0; t < corpus.dimVisual && !face; ++t) face = rawV[t] != 0.0f;
      if (!face) continue;  // no face found: the zero vector says nothing
    }
    const float* src = kind == FeatureKind::AudioRaw    ? corpus.audioRow(u.row)
                       : kind == FeatureKind::VisualRaw ? corpus.visualRow(u.row)
                                                        : stage->data() + i * f.dim;
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
