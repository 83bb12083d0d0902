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

TEST(Reliance, InteractionRuleCases) {
  UtteranceReliance u;
  u.prediction = 3;
  u.predicted.fill(3);
  // Audio alone decides: v rises only with audio.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = (s & 2u) ? -0.1 : -2.0;
  auto r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Dominance);
  EXPECT_EQ(r.dominant, kAudio);
  EXPECT_NEAR(r.share[kAudio], 1.0, 1e-12);
  // The same values, but audio alone would predict another class: not "decides alone".
  u.predicted[2] = 1;
  EXPECT_EQ(scoreReliance(u).interaction, Interaction::Complement);
  u.predicted[2] = 3;
  // Text and visual push the same way, each half: complement.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 1u) ? 0.9 : 0.0) + ((s & 4u) ? 0.9 : 0.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Complement);
  EXPECT_NEAR(r.share[kText], 0.5, 1e-12);
  // Visual pulls away from the prediction with a share of 1/3: conflict.
  for (unsigned s = 0; s < 8; ++s) u.value[s] = -2.0 + ((s & 1u) ? 2.0 : 0.0) - ((s & 4u) ? 1.0 : 0.0);
  r = scoreReliance(u);
  EXPECT_EQ(r.interaction, Interaction::Conflict);
  EXPECT_LT(r.shapley[kVisual], 0);
  // Nothing matters: equal shares, by convention.
  u.value.fill(-1.0);
  r = scoreReliance(u);
  EXPECT_NEAR(r.share[0], 1.0 / 3, 1e-12);
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
  for (const char* absent : {"mean", "zero"}) {
    for (const char* scope : {"dialogue", "utterance"}) {
      RelianceOptions o;
      o.absent = absent;
      o.scope = scope;
      const auto rel = explainNet(net, torch::kCPU, corpus, allDialogues(corpus), o, 8);
      ASSERT_EQ(rel.size(), corpus.numUtterances());
      double textAudio = 0;
      for (const auto& u : rel) {
        const auto s = scoreReliance(u);
        ASSERT_EQ(s.shapley[kVisual], 0.0) << absent << " " << scope;
        ASSERT_EQ(s.share[kVisual], 0.0);
        ASSERT_EQ(s.drop[kVisual], 0.0);
        EXPECT_NEAR(s.shapley[0] + s.shapley[1] + s.shapley[2], u.value[7] - u.value[0], 1e-9);
        textAudio += s.share[kText] + s.share[kAudio];
      }
      EXPECT_NEAR(textAudio / rel.size(), 1.0, 1e-9);
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
  const auto r = explainRun(dir, corpus, data::Split::Test, RelianceOptions{});
  std::array<double, 3> mean{};
  for (const auto& u : r.utterances)
    for (int m = 0; m < 3; ++m) mean[m] += scoreReliance(u).share[m] / r.utterances.size();
  EXPECT_GT(mean[kAudio], 0.8) << "text " << mean[kText] << ", audio " << mean[kAudio] << ", visual " << mean[kVisual];
  EXPECT_LT(mean[kVisual], 0.1);
  std::printf("test weighted F1 %.2f; mean shares: text %.3f, audio %.3f, visual %.3f\n", result.testWeightedF1, mean[kText],
              mean[kAudio], mean[kVisual]);
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
