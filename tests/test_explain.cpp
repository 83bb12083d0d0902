// SPDX-License-Identifier: GPL-3.0-or-later
// Modality reliance by intervention, on cases where the truth is known: a model that cannot see
// the visual input, a model trained where only audio carries the emotion, batch independence,
// the removal scopes against a hand-made intervention, and the run-level cache and refusals.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <torch/torch.h>

#include "internal.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/explain.h"
#include "mlsan/model/reliance.h"
#include "mlsan/model/run.h"
#include "net.h"
#include "test_util.h"

using namespace mlsan;
using namespace mlsan::model;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<int> allDialogues(const data::Corpus& c) {
  std::vector<int> v(c.dialogues.size());
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int>(i);
  return v;
}

/// log p(class) of utterance (dialogue, index) with the corpus as given.
float logProbability(Net& net, const data::Corpus& c, int dialogue, int index, int cls) {
  torch::NoGradGuard ng;
  net->eval();
  const Batch b = makeBatch(c, {dialogue});
  return torch::log_softmax(net->forward(b).logits, 2)[index][0][cls].item<float>();
}

/// The corpus with modality m of dialogue `dialogue` replaced by `value` at `index`, or at every
/// utterance when index < 0.
data::Corpus removed(data::Corpus c, int m, int dialogue, int index, const std::vector<float>& value) {
  std::vector<float>* mats[3] = {&c.text, &c.audio, &c.visual};
  const int dims[3] = {c.dimText, c.dimAudio, c.dimVisual};
  const auto& d = c.dialogues[dialogue];
  for (std::size_t t = 0; t < d.size(); ++t) {
    if (index >= 0 && static_cast<int>(t) != index) continue;
    std::copy(value.begin(), value.end(), mats[m]->begin() + static_cast<std::ptrdiff_t>((d.firstRow + t) * dims[m]));
  }
  return c;
}

std::vector<float> trainingMean(const data::Corpus& c, int m) {
  const std::vector<float>* mats[3] = {&c.text, &c.audio, &c.visual};
  const int dims[3] = {c.dimText, c.dimAudio, c.dimVisual};
  std::vector<double> acc(dims[m], 0.0);
  long n = 0;
  for (const auto& d : c.dialogues) {
    if (d.split != data::Split::Train) continue;
    for (std::size_t t = 0; t < d.size(); ++t, ++n)
      for (int k = 0; k < dims[m]; ++k) acc[k] += (*mats[m])[(d.firstRow + t) * dims[m] + k];
  }
  std::vector<float> out(dims[m]);
  for (int k = 0; k < dims[m]; ++k) out[k] = static_cast<float>(acc[k] / n);
  return out;
}

}  // namespace

TEST(Reliance, InteractionKindsOnConstructedValues) {
  UtteranceReliance u;
  u.prediction = 3;
  u.predicted.fill(3);
  // Audio alone decides: v rises only with audio.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = (s & 2u) ? -0.1 : -2.0;
  auto r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Dominance);
  EXPECT_EQ(r.dominant, kAudio);
  EXPECT_NEAR(r.share[kAudio], 1.0, 1e-12);
  EXPECT_NEAR(r.magnitude, 1.9, 1e-12);
  // The same values, but audio alone would predict another class: not "decides alone".
  u.predicted[2] = 1;
  EXPECT_EQ(scoreReliance(u).interaction, Interaction::Additive);
  u.predicted[2] = 3;
  // Text and visual add up, each half, without interaction: additive (no longer "complement").
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 1u) ? 0.9 : 0.0) + ((s & 4u) ? 0.9 : 0.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Additive);
  EXPECT_NEAR(r.share[kText], 0.5, 1e-12);
  for (double p : r.pairs) EXPECT_NEAR(p, 0, 1e-12);
  // Synergy: audio and visual help only together: complement, from the interaction index.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 6u) == 6u ? 1.8 : 0.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Complement);
  EXPECT_NEAR(r.pairs[2], 1.8, 1e-12);  // audio x visual
  // Text pulls towards the prediction, visual away: conflict.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 1u) ? 2.0 : 0.0) - ((s & 4u) ? 1.0 : 0.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Conflict);
  EXPECT_LT(r.shapley[kVisual], 0);
  EXPECT_NEAR(r.share[kVisual], -1.0 / 3, 1e-12);  // signed: it pushes against
  // Audio and visual both raise the prediction, but alone they predict different classes: they
  // favour different classes, a conflict.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 2u) ? 1.0 : 0.0) + ((s & 4u) ? 0.5 : 0.0);
  u.predicted[4] = 5;
  EXPECT_EQ(scoreReliance(u).interaction, Interaction::Conflict);
  u.predicted[4] = 3;
  EXPECT_NE(scoreReliance(u).interaction, Interaction::Conflict);
  // Redundancy (either of audio and visual suffices) is a negative interaction, but both push the
  // same way: not a conflict.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 6u) ? 1.0 : 0.0);
  r = scoreReliance(u);
  EXPECT_NEAR(r.pairs[2], -1.0, 1e-12);
  EXPECT_EQ(r.interaction, Interaction::Additive);
  // The class is likelier with no modality at all, every modality pushing it down a little: the
  // old rule called this a conflict; nothing pushes the other way, so it is not one.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -1.0 - 0.3 * __builtin_popcount(s);
  EXPECT_NE(scoreReliance(u).interaction, Interaction::Conflict);
  // v(all) = v(none) and nothing moves: weak, shares 0, not averaged in as reliance.
  u.value.fill(-1.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Weak);
  EXPECT_NEAR(r.share[0], 0.0, 1e-12);
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -1.0 + 0.004 * __builtin_popcount(s);
  EXPECT_EQ(scoreReliance(u).interaction, Interaction::Weak);
}

// The aggregation rule on constructed cases: a modality that pushes against the prediction is
// reported as against, not as reliance; an utterance where nothing moves does not dilute a group.
TEST(Reliance, GroupsCountNeitherOpposingModalitiesNorNoiseAsReliance) {
  // Two utterances: audio carries the first (phi 2), visual pushes against the second (-1, text +2).
  const RelianceGroup g = relianceGroup("g", {{0.0, 2.0, 0.0}, {2.0, 0.0, -1.0}});
  EXPECT_NEAR(g.mean[kAudio], 2.0 / 5.0, 1e-12);
  EXPECT_NEAR(g.mean[kText], 2.0 / 5.0, 1e-12);
  EXPECT_NEAR(g.mean[kVisual], 0.0, 1e-12);
  EXPECT_NEAR(g.against[kVisual], 1.0 / 5.0, 1e-12);
  EXPECT_NEAR(g.mean[0] + g.mean[1] + g.mean[2] + g.against[0] + g.against[1] + g.against[2], 1.0, 1e-12);
  // The old rule (mean of |phi| / sum |phi|) would give visual 1/6 of reliance.
  // Many utterances where nothing moves (all phi about 0) leave the group as it was.
  std::vector<std::array<double, 3>> noisy{{0.0, 2.0, 0.0}, {2.0, 0.0, -1.0}};
  for (int i = 0; i < 50; ++i) noisy.push_back({1e-4 * (i % 3), -1e-4 * (i % 2), 2e-4});
  const RelianceGroup h = relianceGroup("h", noisy);
  EXPECT_NEAR(h.mean[kAudio], g.mean[kAudio], 0.002);
  EXPECT_NEAR(h.against[kVisual], g.against[kVisual], 0.002);
  EXPECT_EQ(h.utterances, 52);
  EXPECT_LE(h.low[kAudio], h.mean[kAudio]);
  EXPECT_GE(h.high[kAudio], h.mean[kAudio]);
}

TEST(Explain, AModelThatCannotSeeTheVisualInputReliesOnItExactlyZero) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);  // ML-SAN: FiLM, gate and aux on
  torch::manual_seed(5);
  Net net(cfg);
  {
    torch::NoGradGuard ng;
    net->projVisual->weight.zero_();  // the visual features reach nothing
  }
  for (const char* absent : {"draw", "mean", "zero"}) {
    for (const char* scope : {"dialogue", "utterance"}) {
      RelianceOptions o;
      o.absent = absent;
      o.scope = scope;
      o.draws = 3;
      const auto rel = explainNet(net, torch::kCPU, corpus, allDialogues(corpus), o, 8);
      ASSERT_EQ(rel.size(), corpus.numUtterances());
      double textAudio = 0;
      for (const auto& u : rel) {
        const auto s = scoreReliance(u);
        // Zero up to float rounding: the subsets of a draw share one forward pass (tiled columns),
        // where equal inputs in different columns may differ in the last bits.
        ASSERT_NEAR(s.shapley[kVisual], 0.0, 1e-6) << absent << " " << scope;
        ASSERT_NEAR(s.share[kVisual], 0.0, 1e-4);  // phi / sum |phi|: relative
        ASSERT_NEAR(s.drop[kVisual], 0.0, 1e-6);
        ASSERT_NEAR(s.pairs[1], 0.0, 1e-6);  // text x visual
        ASSERT_NEAR(s.pairs[2], 0.0, 1e-6);  // audio x visual
        ASSERT_NEAR(u.shapleySe[kVisual], 0.0, 1e-6) << "every draw gives visual 0";
        EXPECT_NEAR(s.shapley[0] + s.shapley[1] + s.shapley[2], u.value[7] - u.value[0], 1e-9);
        if (s.magnitude > 0) textAudio += std::fabs(s.share[kText]) + std::fabs(s.share[kAudio]);
        else textAudio += 1;
      }
      EXPECT_NEAR(textAudio / rel.size(), 1.0, 1e-5);
    }
  }
}

TEST(Explain, ValuesAreTheInterventionsLogProbabilitiesAndFollowInference) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.bidirectional = true;  // removal at one utterance reaches both directions
  torch::manual_seed(6);
  Net net(cfg);
  const int d = testing_util::longestDialogue(corpus);
  const int t = static_cast<int>(corpus.dialogues[d].size()) / 2;
  for (const char* scope : {"dialogue", "utterance"}) {
    RelianceOptions o;
    o.absent = "mean";
    o.scope = scope;
    const auto rel = explainNet(net, torch::kCPU, corpus, {d}, o, 4);
    ASSERT_EQ(rel.size(), corpus.dialogues[d].size());
    const auto& u = rel[t];
    ASSERT_EQ(u.index, t);
    // All present: inference's own log-probability, and its prediction.
    Net& n = net;
    EXPECT_NEAR(u.value[7], logProbability(n, corpus, d, t, u.prediction), 1e-5);
    // Audio alone removed (subset text + visual = 5): the hand-made intervention.
    const auto mean = trainingMean(corpus, kAudio);
    const int where = std::string(scope) == "dialogue" ? -1 : t;
    const auto c = removed(corpus, kAudio, d, where, mean);
    EXPECT_NEAR(u.value[5], logProbability(n, c, d, t, u.prediction), 1e-5) << scope;
    // Nothing present.
    auto none = removed(removed(removed(corpus, kText, d, where, trainingMean(corpus, kText)), kAudio, d, where, mean), kVisual, d,
                        where, trainingMean(corpus, kVisual));
    EXPECT_NEAR(u.value[0], logProbability(n, none, d, t, u.prediction), 1e-5) << scope;
  }
}

// The interventional baseline draws each removed modality from the same speaker's training
// utterances. Known truth: every training utterance of a speaker carries one vector of that
// speaker's own, so a draw can only give that vector; the values then equal the hand-made
// intervention with it, and every draw agrees (standard error 0).
TEST(Explain, TheDrawBaselineTakesTheSameSpeakersTrainingUtterances) {
  auto corpus = testing_util::tinyCorpus(200, 5);
  std::vector<float>* mats[3] = {&corpus.text, &corpus.audio, &corpus.visual};
  const int dims[3] = {corpus.dimText, corpus.dimAudio, corpus.dimVisual};
  std::vector<int> trainCount(corpus.speakers.size(), 0);
  auto own = [&](int speaker, int m) {
    std::vector<float> v(static_cast<std::size_t>(dims[m]));
    for (int k = 0; k < dims[m]; ++k) v[static_cast<std::size_t>(k)] = 0.3f * static_cast<float>(((speaker + 1) * (k + 3) * (m + 2)) % 7) - 0.9f;
    return v;
  };
  for (const auto& d : corpus.dialogues) {
    if (d.split != data::Split::Train) continue;
    for (std::size_t t = 0; t < d.size(); ++t) {
      const int s = d.utterances[t].speaker;
      ++trainCount[static_cast<std::size_t>(s)];
      for (int m = 0; m < 3; ++m) {
        const auto v = own(s, m);
        std::copy(v.begin(), v.end(), mats[m]->begin() + static_cast<std::ptrdiff_t>((d.firstRow + t) * dims[m]));
      }
    }
  }
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(9);
  Net net(cfg);
  // A test dialogue whose speakers all have their own pool.
  int d = -1;
  for (int di : dialoguesOf(corpus, data::Split::Test)) {
    bool ok = corpus.dialogues[di].size() >= 3;
    for (const auto& u : corpus.dialogues[di].utterances) ok = ok && trainCount[static_cast<std::size_t>(u.speaker)] >= kDrawPoolMinimum;
    if (ok) { d = di; break; }
  }
  ASSERT_GE(d, 0) << "no test dialogue of well-represented speakers";
  RelianceOptions o;  // the default: draw, whole dialogue
  ASSERT_EQ(o.absent, "draw");
  o.draws = 4;
  const auto rel = explainNet(net, torch::kCPU, corpus, {d}, o, 4);
  // The hand-made intervention: audio removed everywhere = each utterance's audio set to its speaker's vector.
  data::Corpus c = corpus;
  const auto& dl = c.dialogues[d];
  for (std::size_t t = 0; t < dl.size(); ++t) {
    const auto v = own(dl.utterances[t].speaker, kAudio);
    std::copy(v.begin(), v.end(), c.audio.begin() + static_cast<std::ptrdiff_t>((dl.firstRow + t) * dims[kAudio]));
  }
  for (const auto& u : rel) {
    EXPECT_NEAR(u.value[5], logProbability(net, c, d, u.index, u.prediction), 1e-5);  // text + visual present
    EXPECT_EQ(u.draws, 4);
    for (int s = 0; s < 8; ++s) EXPECT_NEAR(u.valueSe[s], 0.0, 1e-6) << "every draw is the same vector";
  }
  // With the mean baseline the same value differs: the training mean is no speaker's vector.
  RelianceOptions mean;
  mean.absent = "mean";
  const auto relMean = explainNet(net, torch::kCPU, corpus, {d}, mean, 4);
  double differ = 0;
  for (std::size_t i = 0; i < rel.size(); ++i) differ += std::fabs(rel[i].value[5] - relMean[i].value[5]);
  EXPECT_GT(differ, 1e-4);
  // On the corpus as generated, draws differ: a standard error above 0, and the same draws for
  // the same seed.
  const auto plain = testing_util::tinyCorpus(200, 5);
  const auto a = explainNet(net, torch::kCPU, plain, {d}, o, 4);
  const auto b = explainNet(net, torch::kCPU, plain, {d}, o, 4);
  double se = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    se += a[i].shapleySe[kAudio];
    for (int s = 0; s < 8; ++s) EXPECT_EQ(a[i].value[s], b[i].value[s]);
  }
  EXPECT_GT(se, 0.0);
}

TEST(Explain, RelianceDoesNotDependOnWhichDialoguesShareABatch) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(7);
  Net net(cfg);
  RelianceOptions o;
  auto ids = allDialogues(corpus);
  const auto a = explainNet(net, torch::kCPU, corpus, ids, o, 32);
  std::reverse(ids.begin(), ids.end());
  const auto b = explainNet(net, torch::kCPU, corpus, ids, o, 3);
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].dialogue, b[i].dialogue);  // both in corpus order
    ASSERT_EQ(a[i].index, b[i].index);
    ASSERT_EQ(a[i].prediction, b[i].prediction);
    for (int s = 0; s < 8; ++s) worst = std::max(worst, std::fabs(a[i].value[s] - b[i].value[s]));
  }
  EXPECT_LT(worst, 1e-4);
}

TEST(Explain, AModelTrainedWhereOnlyAudioCarriesTheEmotionReliesOnAudio) {
  // The generator's truth: text and visual are noise (separation 0); audio always shows the true
  // emotion (every speaker reliable), clearly (separation 8: the demo's 3 leaves a model unsure,
  // see model/README.md, "Modality reliance"). The demo's dims and model, 300 dialogues.
  data::DemoConfig dc;
  dc.seed = 21;
  dc.dialogues = 300;
  dc.textSeparation = 0;
  dc.visualSeparation = 0;
  dc.audioSeparation = 8;
  dc.reliableProb = dc.unreliableProb = dc.balancedProb = 1.0;
  const auto corpus = data::makeDemoCorpus(dc);
  ModelConfig cfg = preset("demo").model;
  fitConfigToCorpus(cfg, corpus);
  TrainConfig tc = testing_util::tinyTrain(10);
  tc.lr = 5e-4;
  const std::string dir = ::testing::TempDir() + "/explain-audio-only";
  fs::remove_all(dir);
  NullProgress quiet;
  const auto result = train(corpus, cfg, tc, dir, false, quiet);
  EXPECT_GT(result.testWeightedF1, 70.0);  // it did learn the audio cue
  for (const char* absent : {"draw", "mean"}) {
    RelianceOptions o;
    o.absent = absent;
    o.draws = 8;
    const auto r = explainRun(dir, corpus, data::Split::Test, o);
    std::vector<std::array<double, 3>> phi;
    for (const auto& u : r.utterances) phi.push_back(scoreReliance(u).shapley);
    const RelianceGroup g = relianceGroup("all", phi);
    EXPECT_GT(g.mean[kAudio], 0.8) << absent << ": text " << g.mean[kText] << ", audio " << g.mean[kAudio] << ", visual " << g.mean[kVisual];
    EXPECT_LT(g.mean[kVisual], 0.1) << absent;
    EXPECT_LT(g.mean[kText], 0.1) << absent;
    std::printf("%s: test weighted F1 %.2f; reliance: text %.3f, audio %.3f, visual %.3f (against %.3f %.3f %.3f)\n", absent,
                result.testWeightedF1, g.mean[kText], g.mean[kAudio], g.mean[kVisual], g.against[kText], g.against[kAudio],
                g.against[kVisual]);
  }
}

// The check against the generator's truth, on values made by hand for a demo corpus's test split:
// first conflicts exactly where audio and visual disagree (text pulls up, visual down), then the
// showing modality always ahead of the misleading one, then every prediction wrong. The counts
// follow from the construction.
TEST(Reliance, TheCheckAgainstTheTruthCountsWhatItSays) {
  data::DemoConfig dc;
  dc.dialogues = 120;
  data::DemoTruth truth;
  const auto corpus = data::makeDemoCorpus(dc, &truth);
  std::vector<UtteranceReliance> us;
  long disagree = 0;
  for (int di : dialoguesOf(corpus, data::Split::Test)) {
    const auto& d = corpus.dialogues[di];
    for (std::size_t t = 0; t < d.size(); ++t) {
      const std::size_t row = d.firstRow + t;
      const int gold = d.utterances[t].label, a = truth.audioShows[row], v = truth.visualShows[row];
      UtteranceReliance u;
      u.dialogue = di;
      u.index = static_cast<int>(t);
      u.prediction = gold;
      u.predicted.fill(gold);
      const bool conflict = v >= 0 && a != v;
      // v(S) = sum of per-modality amounts (additive): conflicts text +2, visual -1; else text 0.5.
      double amount[3] = {0.5, 0, 0};
      if (conflict) { amount[0] = 2; amount[2] = -1; }
      disagree += conflict;
      for (unsigned s = 0; s < 8; ++s)
        u.value[s] = -3 + ((s & 1u) ? amount[0] : 0) + ((s & 2u) ? amount[1] : 0) + ((s & 4u) ? amount[2] : 0);
      us.push_back(u);
    }
  }
  ASSERT_GT(disagree, 20);
  const TruthCheck c = checkAgainstTruth(corpus, truth, us);
  EXPECT_EQ(c.conflictPrecision.n, disagree);
  EXPECT_NEAR(c.conflictPrecision.value, 1.0, 1e-12);
  EXPECT_NEAR(c.conflictRecall.value, 1.0, 1e-12);
  EXPECT_EQ(c.conflictRecall.n, disagree);
  EXPECT_GT(c.showingBeatsMisleading.n, 0);
  EXPECT_LE(c.showingBeatsMisleading.low, c.showingBeatsMisleading.value);
  EXPECT_GE(c.showingBeatsMisleading.high, c.showingBeatsMisleading.value);
  const json j = truthCheckJson(c);
  for (const char* k : {"showing_beats_misleading", "conflict_precision", "conflict_recall"}) {
    EXPECT_TRUE(j[k]["value"].is_number()) << k;
    EXPECT_EQ(j[k]["ci"].size(), 2u);
    EXPECT_TRUE(j[k]["utterances"].is_number_integer());
  }
  // Every showing modality beating the misleading one: 1.
  for (auto& u : us) {
    const auto& d = corpus.dialogues[u.dialogue];
    const std::size_t row = d.firstRow + u.index;
    const int gold = d.utterances[u.index].label, a = truth.audioShows[row], v = truth.visualShows[row];
    if (v < 0 || (a == gold) == (v == gold)) continue;
    const int showing = a == gold ? kAudio : kVisual;
    for (unsigned s = 0; s < 8; ++s) u.value[s] = -3 + ((s & (1u << showing)) ? 1.5 : 0) - ((s & 1u) ? 0.2 : 0);
  }
  const TruthCheck all = checkAgainstTruth(corpus, truth, us);
  EXPECT_NEAR(all.showingBeatsMisleading.value, 1.0, 1e-12);
  EXPECT_GT(all.showingBeatsMisleading.n, 20);
  // A wrong prediction leaves the utterance out of showing_beats_misleading.
  for (auto& u : us) u.prediction = (u.prediction + 1) % corpus.labels.size();
  EXPECT_EQ(checkAgainstTruth(corpus, truth, us).showingBeatsMisleading.n, 0);
  EXPECT_TRUE(std::isnan(checkAgainstTruth(corpus, truth, us).showingBeatsMisleading.value));
}

TEST(ExplainRun, StoresReusesAndRecomputesWhenTheModelChanges) {
  const auto corpus = testing_util::tinyCorpus();
  const std::string dir = ::testing::TempDir() + "/explain-run";
  fs::remove_all(dir);
  NullProgress quiet;
  train(corpus, testing_util::tinyConfig(corpus), testing_util::tinyTrain(1), dir, false, quiet);
  RelianceOptions o;
  const auto first = explainRun(dir, corpus, data::Split::Test, o);
  EXPECT_FALSE(first.reused);
  EXPECT_TRUE(fs::exists(relianceCsvPath(dir, data::Split::Test, o)));
  std::size_t testUtterances = 0;
  for (int di : dialoguesOf(corpus, data::Split::Test)) testUtterances += corpus.dialogues[di].size();
  EXPECT_EQ(first.utterances.size(), testUtterances);
  const auto again = explainRun(dir, corpus, data::Split::Test, o);
  EXPECT_TRUE(again.reused);
  ASSERT_EQ(again.utterances.size(), first.utterances.size());
  for (std::size_t i = 0; i < first.utterances.size(); ++i) {
    EXPECT_EQ(again.utterances[i].dialogue, first.utterances[i].dialogue);
    EXPECT_EQ(again.utterances[i].predicted, first.utterances[i].predicted);
    for (int s = 0; s < 8; ++s) EXPECT_DOUBLE_EQ(again.utterances[i].value[s], first.utterances[i].value[s]);
  }
  // Another option is another file; the first stays.
  RelianceOptions zero;
  zero.absent = "zero";
  EXPECT_FALSE(explainRun(dir, corpus, data::Split::Test, zero).reused);
  EXPECT_TRUE(explainRun(dir, corpus, data::Split::Test, o).reused);
  // A new best.pt (retrained): computed again.
  fs::last_write_time(dir + "/checkpoints/best.pt", fs::last_write_time(dir + "/checkpoints/best.pt") + std::chrono::seconds(5));
  EXPECT_FALSE(explainRun(dir, corpus, data::Split::Test, o).reused);
}

TEST(ExplainRun, RefusesAnUnfinishedRunOrAnotherCorpusAndWritesNothing) {
  const auto corpus = testing_util::tinyCorpus();
  const std::string dir = ::testing::TempDir() + "/explain-refuse";
  fs::remove_all(dir);
  NullProgress quiet;
  train(corpus, testing_util::tinyConfig(corpus), testing_util::tinyTrain(1), dir, false, quiet);
  auto listing = [&dir] {
    std::vector<std::string> v;
    for (const auto& e : fs::recursive_directory_iterator(dir)) v.push_back(e.path().string());
    std::sort(v.begin(), v.end());
    return v;
  };
  // Another corpus (same shape, another seed).
  const auto before = listing();
  try {
    explainRun(dir, testing_util::tinyCorpus(48, 4), data::Split::Test, RelianceOptions{});
    FAIL() << "explained a run on another corpus";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("signature"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listing(), before);
  // Still training: no metrics.json yet.
  fs::rename(dir + "/metrics.json", dir + "/metrics.json.away");
  const auto during = listing();
  try {
    explainRun(dir, corpus, data::Split::Test, RelianceOptions{});
    FAIL() << "explained an unfinished run";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("has not finished training"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listing(), during);
  // Bad options are refused before anything is read.
  RelianceOptions bad;
  bad.absent = "median";
  EXPECT_THROW(explainRun(dir, corpus, data::Split::Test, bad), std::invalid_argument);
}

TEST(ExplainRun, AStoredFileThatWasTamperedWithIsNamed) {
  const auto corpus = testing_util::tinyCorpus();
  const std::string dir = ::testing::TempDir() + "/explain-tamper";
  fs::remove_all(dir);
  NullProgress quiet;
  train(corpus, testing_util::tinyConfig(corpus), testing_util::tinyTrain(1), dir, false, quiet);
  RelianceOptions o;
  explainRun(dir, corpus, data::Split::Test, o);
  const std::string csv = relianceCsvPath(dir, data::Split::Test, o);
  std::string text = data::readFile(csv);
  const auto line2 = text.find('\n') + 1;
  const auto comma = text.find(',', text.find(',', text.find(',', text.find(',', line2) + 1) + 1) + 1);
  text.replace(comma + 1, text.find(',', comma + 1) - comma - 1, "nan");
  { std::ofstream(csv, std::ios::binary) << text; }
  try {
    explainRun(dir, corpus, data::Split::Test, o);
    FAIL() << "read a tampered file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(csv), std::string::npos) << e.what();
  }
}


TEST(GateReadouts, GainAndUseWeightedGateOnHandMadeTensors) {
  // g = 0.5 on every channel: gain 0.5 whatever h, used 0.5 whatever the weights.
  const auto h = torch::tensor({3.0f, -4.0f}).view({1, 1, 2});
  EXPECT_NEAR(gateGain(torch::full({1, 1, 2}, 0.5f), h).item<float>(), 0.5f, 1e-7f);
  EXPECT_NEAR(gateUsed(torch::full({1, 1, 2}, 0.5f), torch::tensor({1.0f, 9.0f})).item<float>(), 0.5f, 1e-7f);
  // g = (1, 0): gain ||(3, 0)|| / ||(3, -4)|| = 0.6; used (1 * 1 + 0 * 9) / 10 = 0.1.
  const auto g = torch::tensor({1.0f, 0.0f}).view({1, 1, 2});
  EXPECT_NEAR(gateGain(g, h).item<float>(), 0.6f, 1e-7f);
  EXPECT_NEAR(gateUsed(g, torch::tensor({1.0f, 9.0f})).item<float>(), 0.1f, 1e-7f);
}

TEST(GateDiagnosis, AnIdentityGateThatNeverTrainedPassesEverythingUnchanged) {
  // The identity form starts at exactly 1 on every channel for every speaker; with lr 0 it stays
  // there. So: gain 1, no speaker dependence, and replacing the gates changes nothing.
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.gateForm = "identity";
  cfg.dropout = 0;
  TrainConfig tc = testing_util::tinyTrain(1);
  tc.lr = 0;
  const std::string dir = ::testing::TempDir() + "/gate-identity";
  fs::remove_all(dir);
  NullProgress quiet;
  train(corpus, cfg, tc, dir, false, quiet);
  const auto d = diagnoseGateRun(dir, corpus, data::Split::Test);
  ASSERT_TRUE(d.hasGate);
  EXPECT_EQ(d.form, "identity");
  for (const auto* m : {&d.audio, &d.visual}) {
    EXPECT_NEAR(m->meanGate, 1.0, 1e-6);
    EXPECT_NEAR(m->gain, 1.0, 1e-6);
    EXPECT_NEAR(m->used, 1.0, 1e-6);
    EXPECT_NEAR(m->channelSpeakerSd, 0.0, 1e-7);
  }
  EXPECT_EQ(d.flipSpeakerless, 0.0);
  EXPECT_EQ(d.flipNoGate, 0.0);
  EXPECT_NEAR(d.logpChangeNoGate, 0.0, 1e-6);
  // predictions.csv carries the same readouts.
  for (const auto& row : readPredictions(RunPaths(dir).predictions())) {
    ASSERT_NEAR(row.gainAudio, 1.0f, 1e-5f);
    ASSERT_NEAR(row.usedVisual, 1.0f, 1e-5f);
  }
  // A trained sigmoid gate does depend on the speaker, channel by channel.
  cfg.gateForm = "sigmoid";
  const std::string dir2 = ::testing::TempDir() + "/gate-sigmoid";
  fs::remove_all(dir2);
  train(corpus, cfg, testing_util::tinyTrain(2), dir2, false, quiet);
  const auto s = diagnoseGateRun(dir2, corpus, data::Split::Test);
  EXPECT_GT(s.audio.channelSpeakerSd, 1e-3);
  EXPECT_GT(s.audio.meanGate, 0.0);
  EXPECT_LT(s.audio.meanGate, 1.0);
}
