// SPDX-License-Identifier: GPL-3.0-or-later
// Disentanglement where the model looks (feature_sets.h): every stage's features are what the next
// layer reads, and on constructed models where the truth is known the numbers say it: a FiLM that
// is the identity changes nothing, a FiLM that adds a speaker signature puts speaker identity in the
// features beyond the emotion, and a gate that does not depend on the speaker adds none.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "internal.h"
#include "mlsan/analysis/disentangle.h"
#include "mlsan/model/feature_sets.h"
#include "net.h"
#include "test_util.h"

using namespace mlsan;
using namespace mlsan::model;

namespace {

std::vector<int> allDialogues(const data::Corpus& c) {
  std::vector<int> v(c.dialogues.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
  return v;
}

Inference inferNet(Net& net, const data::Corpus& corpus) {
  const auto weights = torch::ones({net->config.numClasses}) / net->config.numClasses;  // the loss is not looked at
  return evaluate(net, corpus, allDialogues(corpus), 8, torch::kCPU, weights, true).details;
}

analysis::DisentangleNumbers measure(const FeatureSet& f) {
  return analysis::measureDisentanglement(f.x.data(), f.rows(), f.dim, f.speaker, f.emotion);
}

/// The rows of `kind` for dialogue `dialogue`, in utterance order.
torch::Tensor rowsOf(const data::Corpus& corpus, const Inference& inf, FeatureKind kind, int dialogue) {
  const FeatureSet f = extractFeatureSet(corpus, inf, kind, 0, 1);
  std::vector<float> out;
  for (std::size_t r = 0; r < f.rows(); ++r)
    if (f.dialogue[r] == dialogue) out.insert(out.end(), f.x.begin() + static_cast<std::ptrdiff_t>(r * f.dim), f.x.begin() + static_cast<std::ptrdiff_t>((r + 1) * f.dim));
  return torch::from_blob(out.data(), {static_cast<long>(out.size() / f.dim), static_cast<long>(f.dim)}).clone();
}

/// Dialogue `dialogue`'s utterances of a [T, 1, d] forward output, minus those extractFeatureSet
/// leaves out ("other" speaker, unlabelled).
torch::Tensor usable(const data::Corpus& corpus, const torch::Tensor& t, int dialogue) {
  const int other = otherSpeaker(corpus);
  std::vector<torch::Tensor> rows;
  const auto& d = corpus.dialogues[static_cast<std::size_t>(dialogue)];
  for (std::size_t i = 0; i < d.size(); ++i)
    if (d.utterances[i].speaker != other && d.utterances[i].label >= 0) rows.push_back(t[static_cast<long>(i)][0]);
  return torch::stack(rows);
}

}  // namespace

TEST(FeatureSets, EveryStageIsWhatTheNextLayerReads) {
  const auto corpus = testing_util::tinyCorpus();
  const ModelConfig cfg = testing_util::tinyConfig(corpus);  // ML-SAN: FiLM, gate and aux on
  torch::manual_seed(4);
  Net net(cfg);
  net->eval();
  const Inference inf = inferNet(net, corpus);
  EXPECT_TRUE(inf.gate);
  EXPECT_EQ(inf.dimHidden, cfg.d);
  torch::NoGradGuard ng;
  const NetOutput out = net->forward(makeBatch(corpus, {0}));
  const float tol = 1e-5f;
  EXPECT_TRUE(torch::allclose(rowsOf(corpus, inf, FeatureKind::AudioProj, 0), usable(corpus, net->projAudio(out.filmAudio), 0), tol, tol));
  EXPECT_TRUE(torch::allclose(rowsOf(corpus, inf, FeatureKind::VisualProj, 0), usable(corpus, net->projVisual(out.filmVisual), 0), tol, tol));
  EXPECT_TRUE(torch::allclose(rowsOf(corpus, inf, FeatureKind::AudioGated, 0), usable(corpus, out.gateAudio * out.preGateAudio, 0), tol, tol));
  EXPECT_TRUE(torch::allclose(rowsOf(corpus, inf, FeatureKind::VisualGated, 0), usable(corpus, out.gateVisual * out.preGateVisual, 0), tol, tol));
  for (FeatureKind k : kFeatureKindOrder) {
    const FeatureSet f = extractFeatureSet(corpus, inf, k, 0, 1);
    EXPECT_GT(f.rows(), 100u) << featureKindName(k);
    EXPECT_EQ(f.x.size(), f.rows() * f.dim) << featureKindName(k);
    EXPECT_EQ(parseFeatureKind(featureKindName(k)), k);
  }
  EXPECT_EQ(previousStage(FeatureKind::AudioGated), FeatureKind::AudioProj);
  EXPECT_EQ(previousStage(FeatureKind::VisualProj), FeatureKind::VisualFilm);
  EXPECT_EQ(previousStage(FeatureKind::Fused), FeatureKind::Fused);
  EXPECT_EQ(stagesOf(FeatureKind::VisualProj),
            (std::vector<FeatureKind>{FeatureKind::VisualRaw, FeatureKind::VisualFilm, FeatureKind::VisualProj, FeatureKind::VisualGated}));
  EXPECT_EQ(stagesOf(FeatureKind::Fused), std::vector<FeatureKind>{FeatureKind::Fused});
  EXPECT_THROW(parseFeatureKind("audio"), std::invalid_argument);
  // MultiEMO has no gate: its "gated" features are the context features, and it says so.
  ModelConfig plain = cfg;
  plain.film = plain.gate = plain.aux = false;
  Net multiemo(plain);
  const Inference m = inferNet(multiemo, corpus);
  EXPECT_FALSE(m.gate);
  EXPECT_STREQ(featureKindLabel(FeatureKind::AudioGated, m.gate), "Audio (context, no gate)");
  EXPECT_EQ(extractFeatureSet(corpus, m, FeatureKind::AudioFilm, 0, 1).x, extractFeatureSet(corpus, m, FeatureKind::AudioRaw, 0, 1).x);
}

// Constructed FiLMs: the identity leaves the audio exactly as it was (same numbers); a FiLM whose
// shift is a large function of the speaker embedding writes each speaker's signature into the
// audio, and the probe within each emotion finds it.
TEST(FeatureSets, AFilmSignatureIsFoundBeyondEmotionAndAnIdentityFilmChangesNothing) {
  const auto corpus = testing_util::tinyCorpus(120);
  const ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(6);
  Net net(cfg);
  net->eval();
  {
    torch::NoGradGuard ng;
    net->filmGammaAudio->weight.zero_();
    net->filmGammaAudio->bias.fill_(1.0);
    net->filmBetaAudio->weight.zero_();
    net->filmBetaAudio->bias.zero_();
  }
  const Inference identity = inferNet(net, corpus);
  const FeatureSet raw = extractFeatureSet(corpus, identity, FeatureKind::AudioRaw, 0, 1);
  const FeatureSet same = extractFeatureSet(corpus, identity, FeatureKind::AudioFilm, 0, 1);
  ASSERT_EQ(same.x, raw.x);
  const auto rawNumbers = measure(raw);
  const auto sameNumbers = measure(same);
  EXPECT_EQ(sameNumbers.speakerWithinEmotion.accuracy, rawNumbers.speakerWithinEmotion.accuracy);
  const std::string unchanged = analysis::describeDisentanglement("Audio (after FiLM)", sameNumbers, "Audio (raw)", &rawNumbers);
  EXPECT_NE(unchanged.find("beyond emotion about the same (+0.0 points); emotion silhouette unchanged"), std::string::npos) << unchanged;
  {
    torch::NoGradGuard ng;
    net->filmBetaAudio->weight.normal_(0.0, 3.0);
  }
  const Inference signed_ = inferNet(net, corpus);
  const FeatureSet film = extractFeatureSet(corpus, signed_, FeatureKind::AudioFilm, 0, 1);
  const auto filmNumbers = measure(film);
  EXPECT_EQ(analysis::speakerInformation(filmNumbers), analysis::SpeakerInformation::BeyondEmotion);
  const double rawLift = rawNumbers.speakerWithinEmotion.accuracy - rawNumbers.speakerWithinEmotion.chance;
  const double filmLift = filmNumbers.speakerWithinEmotion.accuracy - filmNumbers.speakerWithinEmotion.chance;
  EXPECT_GT(filmLift, rawLift + 0.2) << "raw " << rawLift << ", FiLM " << filmLift;
  const std::string rises = analysis::describeDisentanglement("Audio (after FiLM)", filmNumbers, "Audio (raw)", &rawNumbers);
  EXPECT_NE(rises.find("beyond emotion +"), std::string::npos) << rises;
}

// A gate that is the same for every speaker (weights zero: sigmoid of the bias) scales every
// channel by a constant: the probe, on standardised features, finds the same speaker information
// as in the context features before it.
TEST(FeatureSets, AGateThatDoesNotDependOnTheSpeakerAddsNoSpeakerInformation) {
  const auto corpus = testing_util::tinyCorpus(120);
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(8);
  Net gated(cfg);
  gated->eval();
  {
    torch::NoGradGuard ng;
    gated->gateAudio->weight.zero_();
    gated->gateAudio->bias.uniform_(-2.0, 2.0);  // a different constant per channel
  }
  const Inference inf = inferNet(gated, corpus);
  // The context features before the gate: the same net with the gate's output forced to 1.
  gated->gateOverrideAudio = torch::ones({cfg.d});
  gated->gateOverrideVisual = torch::ones({cfg.d});
  const Inference context = inferNet(gated, corpus);
  const auto after = measure(extractFeatureSet(corpus, inf, FeatureKind::AudioGated, 0, 1));
  const auto before = measure(extractFeatureSet(corpus, context, FeatureKind::AudioGated, 0, 1));
  EXPECT_NEAR(after.speakerProbe.accuracy, before.speakerProbe.accuracy, 0.02);
  EXPECT_NEAR(after.speakerWithinEmotion.accuracy, before.speakerWithinEmotion.accuracy, 0.03);
  EXPECT_EQ(analysis::speakerInformation(after), analysis::speakerInformation(before));
}
