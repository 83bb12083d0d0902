// SPDX-License-Identifier: GPL-3.0-or-later
// The LibTorch network and its losses: shapes, masks, FiLM identity, gate range,
// MultiEMO equivalence, hand-computed losses.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <torch/torch.h>

#include "losses.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
#include "mlsan/model/run.h"
#include "internal.h"
#include "net.h"
#include "test_util.h"

using namespace mlsan;
using namespace mlsan::model;

TEST(Net, OutputsHaveTheDocumentedShapes) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(1);
  Net net(cfg);
  const Batch b = makeBatch(corpus, {0, 1, 2});
  const int64_t T = b.mask.size(0);
  const auto out = net->forward(b);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{T, 3, cfg.numClasses}));
  EXPECT_EQ(out.fc.sizes(), (std::vector<int64_t>{T, 3, cfg.d}));
  EXPECT_EQ(out.gateAudio.sizes(), (std::vector<int64_t>{T, 3, cfg.d}));
  EXPECT_EQ(out.filmVisual.sizes(), (std::vector<int64_t>{T, 3, cfg.dimVisual}));
  EXPECT_EQ(out.speakerLogits.sizes(), (std::vector<int64_t>{T, 3, cfg.numSpeakers}));
  EXPECT_EQ(b.mask.sum().item<int64_t>(),
            static_cast<int64_t>(corpus.dialogues[0].size() + corpus.dialogues[1].size() + corpus.dialogues[2].size()));
}

TEST(Net, GateIsTheSigmoidOfItsInputAndStaysStrictlyBetweenZeroAndOne) {
  const auto corpus = testing_util::tinyCorpus();
  for (const char* input : {"speaker", "speaker+context"}) {
    ModelConfig cfg = testing_util::tinyConfig(corpus);
    cfg.gateInput = input;
    cfg.gateForm = "sigmoid";  // eq. 3 (the presets' identity form is 2 sigmoid, tested in test_explain.cpp)
    torch::manual_seed(2);
    Net net(cfg);
    net->eval();
    torch::NoGradGuard ng;
    const Batch b = makeBatch(corpus, {0, 1});
    const auto out = net->forward(b);
    // The documented input: z = e_s (eq. 3) or [e_s; h^t], h^t the text's context features
    // (the demo form has no text DialogueRNN: the projected text).
    const auto emb = net->speakerEmbedding(b.speaker);
    const auto z = std::string(input) == "speaker" ? emb : torch::cat({emb, net->projText(b.text)}, 2);
    const auto real = b.mask.unsqueeze(2);
    EXPECT_TRUE(torch::allclose(out.gateAudio * real, torch::sigmoid(net->gateAudio(z)) * real, 1e-6, 1e-7)) << input;
    EXPECT_TRUE(torch::allclose(out.gateVisual * real, torch::sigmoid(net->gateVisual(z)) * real, 1e-6, 1e-7)) << input;
    for (const auto& g : {out.gateAudio, out.gateVisual}) {
      const auto v = g.masked_select(real);
      EXPECT_GT(v.min().item<float>(), 0.0f) << input;
      EXPECT_LT(v.max().item<float>(), 1.0f) << input;
    }
  }
}

TEST(Net, GateInitSetsEveryGateToThatValue) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.gateInit = 0.9;
  cfg.gateForm = "sigmoid";  // gateInit sets the sigmoid form's start; the identity form starts at 1
  torch::manual_seed(4);
  Net net(cfg);
  net->eval();
  const Batch b = makeBatch(corpus, {0, 1, 2});
  const auto out = net->forward(b);
  const auto real = b.mask.unsqueeze(2).expand_as(out.gateAudio);
  EXPECT_NEAR(out.gateAudio.masked_select(real).min().item<float>(), 0.9f, 1e-5f);
  EXPECT_NEAR(out.gateVisual.masked_select(real).max().item<float>(), 0.9f, 1e-5f);
  cfg.gateInit = 0;  // PyTorch's default: gates differ
  Net other(cfg);
  const auto o2 = other->forward(b);
  EXPECT_GT((o2.gateAudio.max() - o2.gateAudio.min()).item<float>(), 0.01f);
}

TEST(Net, FilmStartsAsTheIdentity) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(3);
  Net net(cfg);
  net->eval();
  const Batch b = makeBatch(corpus, {0, 1, 2, 3});
  const auto out = net->forward(b);
  EXPECT_TRUE(torch::equal(out.filmAudio, b.audio));
  EXPECT_TRUE(torch::equal(out.filmVisual, b.visual));
}

TEST(Net, MlsanAndMultiEmoShareEveryCommonWeightFromTheSameSeed) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig multi = testing_util::tinyConfig(corpus);
  multi.film = multi.gate = multi.aux = false;
  torch::manual_seed(4);
  Net a(multi);
  ModelConfig full = testing_util::tinyConfig(corpus);
  torch::manual_seed(4);
  Net b(full);  // ML-SAN with everything on, from the same seed
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  for (const auto& item : pa) {
    ASSERT_TRUE(pb.contains(item.key())) << item.key();
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key() << " differs: shared weights must match";
  }
  EXPECT_GT(pb.size(), pa.size());  // ML-SAN adds FiLM, gate, aux, embedding
  // The presets' identity-form gate starts at exactly 1 and FiLM at the identity: as built, the
  // full model differs from MultiEMO only through the aux head, which does not touch the logits.
  a->eval();
  b->eval();
  const Batch batch = makeBatch(corpus, {0, 1, 2, 3, 4});
  EXPECT_TRUE(torch::allclose(a->forward(batch).logits, b->forward(batch).logits, 1e-5, 1e-6));
  // The sigmoid form (eq. 3) halves the features at the start unless forced open (bias +inf).
  full.gateForm = "sigmoid";
  torch::manual_seed(4);
  Net c(full);
  c->eval();
  EXPECT_FALSE(torch::allclose(a->forward(batch).logits, c->forward(batch).logits, 1e-5, 1e-6));
  {
    torch::NoGradGuard ng;
    c->gateAudio->weight.zero_();
    c->gateAudio->bias.fill_(1e4);
    c->gateVisual->weight.zero_();
    c->gateVisual->bias.fill_(1e4);
  }
  EXPECT_TRUE(torch::allclose(a->forward(batch).logits, c->forward(batch).logits, 1e-5, 1e-6));
}

TEST(Training, MlsanWithFilmGateAndAuxOffTrainsToMultiEmoBitForBit) {
  // MultiEMO is the configuration proven against the authors' code (test_multiemo_parity.cpp).
  // ML-SAN with its three levels off, whatever its own settings (speaker embedding size, gate
  // input and init, lambda, speaker lr scale), must train to the same model: logits after 2
  // epochs, same seed and threads, compared bit for bit.
  const auto corpus = testing_util::tinyCorpus(32);
  ModelConfig multi = testing_util::tinyConfig(corpus);
  multi.film = multi.gate = multi.aux = false;
  ModelConfig off = testing_util::tinyConfig(corpus);
  off.speakerDim = 4;
  off.gateInput = "speaker";
  off.gateInit = 0.8;
  off.lambda = 0.9;
  off.film = off.gate = off.aux = false;
  TrainConfig ta = testing_util::tinyTrain(2), tb = ta;
  tb.speakerLrScale = 5;
  const auto root = std::filesystem::temp_directory_path() / ("mlsan_off_" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  NullProgress quiet;
  train(corpus, multi, ta, (root / "multiemo").string(), false, quiet);
  train(corpus, off, tb, (root / "off").string(), false, quiet);
  Model a = Model::load((root / "multiemo" / "checkpoints" / "last.pt").string());
  Model b = Model::load((root / "off" / "checkpoints" / "last.pt").string());
  std::vector<int> all(corpus.dialogues.size());
  std::iota(all.begin(), all.end(), 0);
  const Inference ia = a.infer(corpus, all, 8), ib = b.infer(corpus, all, 8);
  ASSERT_EQ(ia.utterances.size(), ib.utterances.size());
  for (std::size_t i = 0; i < ia.utterances.size(); ++i)
    ASSERT_EQ(ia.utterances[i].probabilities, ib.utterances[i].probabilities) << "utterance " << i;
  EXPECT_EQ(ia.fused, ib.fused);
  std::filesystem::remove_all(root);
}

namespace {
/// True when every element of `train` is 0 or exactly `scale` times `eval`, and some are 0
/// where `eval` is not: inverted dropout applied to exactly that tensor.
void expectDroppedCopy(const torch::Tensor& train, const torch::Tensor& eval, double scale, const char* what) {
  const auto kept = train.eq(eval * scale), dropped = train.eq(0);
  EXPECT_TRUE(kept.logical_or(dropped).all().item<bool>()) << what << ": not a dropout of the eval-mode tensor";
  const double share = dropped.logical_and(eval.ne(0)).sum().item<double>() / std::max<double>(1, eval.ne(0).sum().item<double>());
  EXPECT_GT(share, 0.3) << what;
  EXPECT_LT(share, 0.7) << what;
}
}  // namespace

TEST(Net, DropoutActsWhereMultiEmoPutsIt) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.film = cfg.gate = cfg.aux = false;
  cfg.dropout = 0.5;
  cfg.d = 32;
  torch::manual_seed(8);
  Net net(cfg);
  torch::NoGradGuard ng;
  const Batch b = makeBatch(corpus, {0, 1, 2});
  const auto x = net->projAudio(b.audio);
  // The MLP drops its logits (not its hidden layer).
  const auto fc = torch::randn({200, cfg.d});
  net->eval();
  const auto evalLogits = net->head(fc);
  net->train();
  expectDroppedCopy(net->head(fc), evalLogits, 2.0, "logits");
  // The MELD-form context encoder drops e before its ReLU (no recurrent dropout by default).
  net->eval();
  const auto evalCtx = net->ctxAudio(x, b.party, b.lengths, b.active);
  net->train();
  expectDroppedCopy(net->ctxAudio(x, b.party, b.lengths, b.active), evalCtx, 2.0, "context features");
  // A MultiAttn layer drops each sublayer's output once, the FFN's twice, and never the
  // attention probabilities: the same random draws, in the same order, reproduce it.
  const Packing p = Packing::of(b.mask);
  const auto t = p.pack(x), a = p.pack(net->projVisual(b.visual)), v = p.pack(net->projText(b.text));
  auto& layer = *net->fuseText[0]->as<FusionLayer>();
  torch::manual_seed(77);
  const auto out = layer.forward(t, a, v, p);
  torch::manual_seed(77);
  layer.eval();  // the sublayers themselves, without any dropout of their own
  auto drop = [](const torch::Tensor& y) { return lightDropout(y, 0.5, true); };
  auto h = layer.norm1(t + drop(layer.attnA(t, a, p)));
  h = layer.norm2(h + drop(layer.attnB(h, v, p)));
  h = layer.norm3(h + drop(drop(layer.ff2(torch::relu(layer.ff1(h))))));
  EXPECT_TRUE(torch::equal(out, h));
  // Recurrent dropout (MultiEMO's dropout_rec) acts inside DialogueRNN only when asked for.
  ModelConfig rec = cfg;
  rec.dropout = 0;
  rec.recurrentDropout = 0.5;
  torch::manual_seed(8);
  Net r(rec);
  r->eval();
  const auto quiet = r->ctxAudio(x, b.party, b.lengths, b.active);
  r->train();
  EXPECT_FALSE(torch::allclose(r->ctxAudio(x, b.party, b.lengths, b.active), quiet));
  rec.recurrentDropout = 0;
  torch::manual_seed(8);
  Net none(rec);
  none->train();
  EXPECT_TRUE(torch::equal(none->ctxAudio(x, b.party, b.lengths, b.active), quiet)) << "dropout 0: training mode changes nothing";
}

TEST(Net, PredictionsDoNotDependOnBatchCompanions) {
  const auto corpus = testing_util::tinyCorpus();
  for (bool bidir : {false, true}) {
    ModelConfig cfg = testing_util::tinyConfig(corpus);
    cfg.bidirectional = bidir;
    cfg.textContext = bidir;
    torch::manual_seed(5);
    Net net(cfg);
    net->eval();
    torch::NoGradGuard ng;
    // Dialogue 1 alone, and batched with a longer and a shorter one.
    const auto alone = net->forward(makeBatch(corpus, {1}));
    const int longest = testing_util::longestDialogue(corpus);
    const Batch mixed = makeBatch(corpus, {longest, 1, 0});
    const auto together = net->forward(mixed);
    const int64_t column = std::find(mixed.dialogues.begin(), mixed.dialogues.end(), 1) - mixed.dialogues.begin();
    ASSERT_LT(column, 3);
    const int64_t L = static_cast<int64_t>(corpus.dialogues[1].size());
    const auto a = alone.logits.index({torch::indexing::Slice(0, L), 0});
    const auto t = together.logits.index({torch::indexing::Slice(0, L), column});
    EXPECT_TRUE(torch::allclose(a, t, 1e-4, 1e-5)) << "bidirectional=" << bidir << " max diff "
                                                    << (a - t).abs().max().item<float>();
  }
}

// Issue 2 (IEMOCAP memory): micro-batches must give the whole batch's objective and gradient.
TEST(Training, MicroBatchesGiveTheWholeBatchGradient) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.dropout = 0;  // dropout draws differ between the two schedules; everything else must agree
  std::vector<int> ids;
  for (int i = 0; i < 11; ++i) ids.push_back(i);
  const auto weights = swfcClassWeightsFor(cfg);
  std::vector<std::vector<torch::Tensor>> grads;
  std::vector<double> losses;
  for (int micro : {0, 4, 1}) {
    torch::manual_seed(9);
    Net net(cfg);
    net->train();
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1));
    const StepResult r = trainStep(net, opt, corpus, ids, cfg, weights, micro, torch::kCPU, 3);
    ASSERT_GT(r.labelled, 0);
    losses.push_back(r.loss);
    std::vector<torch::Tensor> g;
    for (const auto& p : net->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
    grads.push_back(g);
  }
  for (std::size_t m = 1; m < grads.size(); ++m) {
    EXPECT_NEAR(losses[m], losses[0], 1e-5 * std::abs(losses[0]) + 1e-6);
    ASSERT_EQ(grads[m].size(), grads[0].size());
    double worst = 0, scale = 0;
    for (std::size_t k = 0; k < grads[0].size(); ++k) {
      worst = std::max(worst, (grads[m][k] - grads[0][k]).abs().max().item<double>());
      scale = std::max(scale, grads[0][k].abs().max().item<double>());
    }
    EXPECT_GT(scale, 0);
    EXPECT_LT(worst, 1e-4 * scale) << "micro-batch schedule " << m;
  }
}

// Issue 20: the balanced auxiliary gradient. The speaker loss's pull on fc (and below) is scaled to
// at most the emotion objective's; the speaker head learns at full strength; micro-batches give
// the same gradient as the whole batch.
TEST(Training, BalancedAuxGradientCapsTheSpeakerLossPullBelowTheHead) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.dropout = 0;
  cfg.lambda = 5;  // the speaker loss dominates at fc, as it did on the IEMOCAP-shaped corpus
  cfg.auxGradient = "full";
  std::vector<int> ids;
  for (int i = 0; i < 11; ++i) ids.push_back(i);
  const auto weights = swfcClassWeightsFor(cfg);
  auto gradients = [&](const ModelConfig& c, int micro, double* scale) {
    torch::manual_seed(9);
    Net net(c);
    net->train();
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1));
    const StepResult r = trainStep(net, opt, corpus, ids, c, weights, micro, torch::kCPU, 3);
    if (scale) *scale = r.auxScale;
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : net->named_parameters()) g[p.key()] = p.value().grad().defined() ? p.value().grad().clone() : torch::zeros_like(p.value());
    return g;
  };
  ModelConfig emotionOnly = cfg;
  emotionOnly.lambda = 0;
  ModelConfig balanced = cfg;
  balanced.auxGradient = "balanced";
  double sFull = 0, s = 0, sMicro = 0;
  const auto gErc = gradients(emotionOnly, 0, nullptr);
  const auto gFull = gradients(cfg, 0, &sFull);
  const auto gBal = gradients(balanced, 0, &s);
  const auto gBalMicro = gradients(balanced, 4, &sMicro);
  EXPECT_EQ(sFull, 1.0) << "the paper's form is never scaled";
  ASSERT_GT(s, 0.0);
  ASSERT_LT(s, 0.5) << "with lambda 5 the speaker loss's pull at fc exceeds the emotion objective's";
  EXPECT_NEAR(sMicro, s, 1e-6 * s);
  // The head learns at full strength; below it the aux part is scaled by s.
  EXPECT_TRUE(torch::allclose(gBal.at("speaker_head.weight"), gFull.at("speaker_head.weight"), 1e-5, 1e-7));
  for (const char* name : {"fc.weight", "proj_audio.weight", "fuse_text.0.ff1.weight"}) {
    const auto expected = gErc.at(name) + s * (gFull.at(name) - gErc.at(name));
    const double tol = 1e-4 * expected.abs().max().item<double>() + 1e-8;
    EXPECT_LT((gBal.at(name) - expected).abs().max().item<double>(), tol) << name;
    EXPECT_LT((gBalMicro.at(name) - gBal.at(name)).abs().max().item<double>(), tol) << name << ": micro-batches";
    EXPECT_GT((gFull.at(name) - gBal.at(name)).abs().max().item<double>(), 10 * tol) << name << ": the scale changes something";
  }
  // At fc the scaled speaker pull equals the emotion pull: computed again from the rows.
  torch::manual_seed(9);
  Net net(balanced);
  net->train();
  const Batch batch = makeBatch(corpus, ids);
  const LossRows rows = lossRows(net->forward(batch), batch);
  EXPECT_NEAR(auxBalanceScale(rows, balanced, weights, net), s, 1e-9);
  balanced.lambda = 1e-6;
  EXPECT_EQ(auxBalanceScale(rows, balanced, weights, net), 1.0) << "a weak speaker loss is left as it is";
}

TEST(Training, SpeakerRoutedAuxGradientReachesOnlyTheSpeakerModules) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.dropout = 0;
  cfg.lambda = 5;
  cfg.auxGradient = "full";
  std::vector<int> ids;
  for (int i = 0; i < 11; ++i) ids.push_back(i);
  const auto weights = swfcClassWeightsFor(cfg);
  auto gradients = [&](const ModelConfig& c, int micro) {
    torch::manual_seed(9);
    Net net(c);
    net->train();
    // A step first, so that FiLM and the gate are away from their identity start and the speaker
    // loss has a path into the embedding through them.
    torch::optim::SGD warm(net->parameters(), torch::optim::SGDOptions(0.05));
    trainStep(net, warm, corpus, ids, cfg, weights, 0, torch::kCPU, 2);
    warm.step();
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.1));
    trainStep(net, opt, corpus, ids, c, weights, micro, torch::kCPU, 3);
    std::map<std::string, torch::Tensor> g;
    for (const auto& p : net->named_parameters()) g[p.key()] = p.value().grad().defined() ? p.value().grad().clone() : torch::zeros_like(p.value());
    return g;
  };
  ModelConfig emotionOnly = cfg;
  emotionOnly.lambda = 0;
  ModelConfig routed = cfg;
  routed.auxGradient = "speaker";
  const auto gErc = gradients(emotionOnly, 0);
  const auto gFull = gradients(cfg, 0);
  const auto gRouted = gradients(routed, 0);
  const auto gRoutedMicro = gradients(routed, 4);
  auto maxDiff = [](const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); };
  int speakerLevel = 0;
  for (const auto& [name, g] : gFull) {
    const double tol = 1e-4 * g.abs().max().item<double>() + 1e-8;
    EXPECT_LT(maxDiff(gRoutedMicro.at(name), gRouted.at(name)), tol) << name << ": micro-batches";
    if (isSpeakerLevelParameter(name)) {
      ++speakerLevel;
      EXPECT_LT(maxDiff(gRouted.at(name), g), tol) << name << ": the speaker modules learn from the whole objective";
    } else {
      EXPECT_LT(maxDiff(gRouted.at(name), gErc.at(name)), tol) << name << ": MultiEMO's modules learn from the emotion objective alone";
    }
  }
  EXPECT_GE(speakerLevel, 6);
  // The routing changes something on both sides of the line.
  for (const char* name : {"fc.weight", "proj_audio.weight", "fuse_text.0.ff1.weight"})
    EXPECT_GT(maxDiff(gFull.at(name), gRouted.at(name)), 1e-6) << name;
  for (const char* name : {"speaker_embedding.weight", "film_beta_audio.weight", "gate_visual.bias"})
    EXPECT_GT(maxDiff(gRouted.at(name), gErc.at(name)), 1e-7) << name << ": the speaker loss reaches it";
}

// The paper's form is the default; a run folder written before the key existed reads as it; the
// other forms survive a round trip; anything else is refused with the value named.
TEST(Training, AuxGradientIsThePapersByDefaultAndReadBackAsWritten) {
  EXPECT_EQ(ModelConfig().auxGradient, "full");
  EXPECT_EQ(preset("iemocap").model.auxGradient, "full");
  ModelConfig c = preset("demo").model;
  auto j = nlohmann::json::parse(c.toJson());
  j.erase("aux_gradient");
  EXPECT_EQ(ModelConfig::fromJson(j.dump()).auxGradient, "full");
  for (const char* form : {"balanced", "speaker"}) {
    c.auxGradient = form;
    EXPECT_EQ(ModelConfig::fromJson(c.toJson()).auxGradient, form);
  }
  j["aux_gradient"] = "sideways";
  try {
    ModelConfig::fromJson(j.dump());
    ADD_FAILURE() << "an unknown aux_gradient was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sideways"), std::string::npos);
  }
}

// IEMOCAP's session 5 actors never train: they take the trained speakers' mean embedding, the
// trained rows stay as they are, and a corpus whose speakers all trained is left untouched.
TEST(Training, UnseenSpeakersTakeTheTrainedSpeakersMeanEmbedding) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.numSpeakers = 5;
  torch::manual_seed(4);
  Net net(cfg);
  const auto before = net->speakerEmbedding->weight.detach().clone();
  net->shareUnseenSpeakers({true, true, true, true, true});
  EXPECT_TRUE(torch::equal(net->speakerEmbedding->weight, before));
  net->shareUnseenSpeakers({true, false, true, false});  // speaker 4 is beyond the list: unseen too
  const auto w = net->speakerEmbedding->weight.detach();
  const auto mean = (before[0] + before[2]) / 2;
  for (int s : {1, 3, 4}) EXPECT_TRUE(torch::allclose(w[s], mean, 1e-6, 1e-7)) << "speaker " << s;
  for (int s : {0, 2}) EXPECT_TRUE(torch::equal(w[s], before[s])) << "speaker " << s;
  EXPECT_FALSE(net->speakerEmbedding->weight.requires_grad() == false) << "still a parameter";
  net->shareUnseenSpeakers({false, false, false, false, false});
  EXPECT_TRUE(torch::equal(net->speakerEmbedding->weight, w)) << "no trained speaker: nothing to share";
}

// The trainer applies it before evaluating and saving: a speaker who speaks only in test comes
// out of training with the mean embedding of those who trained (breaking the call fails this).
TEST(Training, ATestOnlySpeakerIsSavedWithTheTrainedSpeakersMeanEmbedding) {
  auto corpus = testing_util::tinyCorpus();
  const int hidden = 0;
  bool inTest = false;
  for (auto& d : corpus.dialogues)
    for (auto& u : d.utterances) {
      if (u.speaker != hidden) continue;
      if (d.split == data::Split::Test) inTest = true;
      else u.speaker = 1;
    }
  ASSERT_TRUE(inTest);
  const ModelConfig cfg = testing_util::tinyConfig(corpus);
  TrainConfig tc = testing_util::tinyTrain(1);
  const auto dir = std::filesystem::temp_directory_path() / ("mlsan-unseen-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  NullProgress progress;
  train(corpus, cfg, tc, dir.string(), false, progress);
  const std::string best = RunPaths(dir.string()).bestCheckpoint();
  Net net(readCheckpointMeta(best).model);
  loadCheckpoint(best, net, nullptr);
  std::vector<bool> seen(corpus.speakers.size(), false);
  for (int d : dialoguesOf(corpus, data::Split::Train))
    for (const auto& u : corpus.dialogues[d].utterances) seen[u.speaker] = true;
  ASSERT_FALSE(seen[hidden]);
  const auto w = net->speakerEmbedding->weight.detach();
  std::vector<int64_t> trained;
  for (std::size_t s = 0; s < seen.size(); ++s)
    if (seen[s]) trained.push_back(static_cast<int64_t>(s));
  const auto mean = w.index_select(0, torch::tensor(trained)).mean(0);
  EXPECT_TRUE(torch::allclose(w[hidden], mean, 1e-5, 1e-6));
  std::filesystem::remove_all(dir);
}

TEST(Training, SpeakerLrScaleMovesOnlyTheSpeakerLevelParametersFaster) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.dropout = 0;
  const auto weights = swfcClassWeightsFor(cfg);
  std::map<std::string, double> moved[2];
  for (int run = 0; run < 2; ++run) {
    torch::manual_seed(6);
    Net net(cfg);
    net->train();
    TrainConfig tc = testing_util::tinyTrain(1);
    tc.lr = 1e-3;
    tc.speakerLrScale = run == 0 ? 1.0 : 10.0;
    auto opt = makeOptimizer(net, tc);
    std::map<std::string, torch::Tensor> before;
    for (const auto& p : net->named_parameters()) before[p.key()] = p.value().detach().clone();
    trainStep(net, *opt, corpus, {0, 1, 2, 3}, cfg, weights, 0, torch::kCPU, 1);
    opt->step();
    for (const auto& p : net->named_parameters())
      moved[run][p.key()] = (p.value().detach() - before[p.key()]).abs().max().item<double>();
  }
  // Adam's first step moves a parameter by about lr: 1e-3, or 1e-2 for the speaker-level ones.
  EXPECT_NEAR(moved[1]["film_beta_audio.bias"], 1e-2, 2e-3);
  EXPECT_NEAR(moved[1]["gate_audio.weight"], 1e-2, 2e-3);
  EXPECT_NEAR(moved[0]["film_beta_audio.bias"], 1e-3, 2e-4);
  EXPECT_NEAR(moved[1]["proj_audio.weight"], moved[0]["proj_audio.weight"], 1e-6);
  EXPECT_LT(moved[1]["proj_audio.weight"], 1.5e-3);
}

TEST(Losses, SwfcMatchesAHandComputedCase) {
  // Three samples, labels {0, 0, 1}, 2-d features, tau 1, gamma 0, equal class weights 0.5.
  const auto z = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}});
  const auto y = torch::tensor({0L, 0L, 1L});
  const auto w = torch::tensor({0.5f, 0.5f});
  const double loss = swfcLoss(z, y, w, 1.0, 0.0).item<double>();
  // normalised: z0=(1,0), z1=(0,1), z2=(s,s), s=1/sqrt(2). sims: z0.z1=0, z0.z2=s, z1.z2=s.
  const double s = 1 / std::sqrt(2.0);
  const double l0 = std::log(std::exp(0.0) / (std::exp(0.0) + std::exp(s)));  // positive of 0 is 1
  const double l1 = l0;                                                       // symmetric
  const double expected = -(0.5 * l0 + 0.5 * l1 + 0.0) / 3;                    // sample 2 has no positive
  EXPECT_NEAR(loss, expected, 1e-6);
  // gamma > 0 down-weights easy positives: (1 - p)^gamma factor.
  const double p0 = std::exp(l0);
  EXPECT_NEAR(swfcLoss(z, y, w, 1.0, 2.0).item<double>(), -(0.5 * std::pow(1 - p0, 2) * l0 * 2) / 3, 1e-6);
}

TEST(Losses, SwfcClassWeightsFavourRareClassesAndSumToOne) {
  const auto w = swfcClassWeights({90, 10}, 1.0);
  EXPECT_NEAR(w[0].item<float>() + w[1].item<float>(), 1.0, 1e-6);
  EXPECT_NEAR(w[1].item<float>() / w[0].item<float>(), 9.0, 1e-4);
  // A class with no training sample gets weight 0 and the others stay normalised (MultiEMO's
  // (N/0)^alpha makes every weight 0 or NaN: model/README.md).
  const auto z = swfcClassWeights({90, 0, 10}, 1.0);
  EXPECT_EQ(z[1].item<float>(), 0.0f);
  EXPECT_NEAR(z.sum().item<float>(), 1.0, 1e-6);
  EXPECT_TRUE(torch::isfinite(z).all().item<bool>());
}

TEST(Losses, SoftHgrMatchesAHandComputedCase) {
  // f = [[1,2],[3,4]], g = [[1,0],[0,1]]: mean inner = (1 + 4) / 2 = 2.5.
  // torch.cov over rows (each row a variable, d = 2 observations): row-centred f rows are
  // (-0.5, 0.5) twice -> cov_f = [[0.5, 0.5], [0.5, 0.5]]; g rows (0.5,-0.5), (-0.5,0.5) ->
  // cov_g = [[0.5, -0.5], [-0.5, 0.5]]; trace(cov_f cov_g) = 0. score = 2.5 - 0 / (2*2) = 2.5.
  const auto f = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}});
  const auto g = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  EXPECT_NEAR(softHgrScore(f, g).item<double>(), 2.5, 1e-6);
  // f with itself: cov_f^2 trace = 4 * 0.25 = 1 (all entries 0.5 -> (cov^2) entries 0.5) -> trace 1.
  // score = mean(5, 25) = 15 - 1 / 4 = 14.75.
  EXPECT_NEAR(softHgrScore(f, f).item<double>(), 14.75, 1e-5);
  // The loss: minus the pair sum over N.
  EXPECT_NEAR(softHgrLoss(f, f, f).item<double>(), -3 * 14.75 / 2, 1e-4);
}

TEST(Losses, PaddingAndUnlabelledUtterancesAreIgnored) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  torch::manual_seed(6);
  Net net(cfg);
  net->eval();
  torch::NoGradGuard ng;
  const auto w = swfcClassWeightsFor(cfg);
  Batch b = makeBatch(corpus, {0, 1, 2});
  // Two real utterances become unlabelled.
  b.label = b.label.clone();
  b.label[0][0] = -1;
  b.label[1][1] = -1;
  const auto out = net->forward(b);
  const double loss = computeLoss(out, b, cfg, w).total.item<double>();
  // The objective computed by hand on the labelled real cells only.
  std::vector<int64_t> keep;
  for (int64_t t = 0; t < b.mask.size(0); ++t)
    for (int64_t j = 0; j < b.mask.size(1); ++j)
      if (b.mask[t][j].item<bool>() && b.label[t][j].item<int64_t>() >= 0) keep.push_back(t * b.mask.size(1) + j);
  ASSERT_LT(keep.size(), static_cast<std::size_t>(b.mask.sum().item<int64_t>()));
  const auto idx = torch::tensor(keep);
  auto rows = [&idx](const torch::Tensor& x) { return x.flatten(0, 1).index_select(0, idx); };
  const auto y = rows(b.label);
  const double expected = (cfg.weightCE * torch::cross_entropy_loss(rows(out.logits), y) +
                           cfg.weightSWFC * swfcLoss(rows(out.fc), y, w, cfg.tau, cfg.gamma) +
                           cfg.weightHGR * softHgrLoss(rows(out.fusedText), rows(out.fusedAudio), rows(out.fusedVisual)) +
                           cfg.lambda * torch::cross_entropy_loss(out.speakerLogits.flatten(0, 1).index_select(0, b.mask.flatten().nonzero().squeeze(1)),
                                                                  b.speaker.flatten().index_select(0, b.mask.flatten().nonzero().squeeze(1))))
                              .item<double>();
  EXPECT_NEAR(loss, expected, 1e-6);
  // Giving an unlabelled utterance a label changes the objective (the check above can see it).
  Batch labelled = b;
  labelled.label = b.label.clone();
  labelled.label[0][0] = 3;
  EXPECT_GT(std::abs(computeLoss(net->forward(labelled), labelled, cfg, w).total.item<double>() - loss), 1e-6);
  // Garbage in padded cells (features, a label, speaker 0) changes nothing.
  Batch garbage = b;
  const auto pad = b.mask.logical_not();
  garbage.text = b.text.masked_fill(pad.unsqueeze(2), 1e6);
  garbage.audio = b.audio.masked_fill(pad.unsqueeze(2), -1e6);
  garbage.label = b.label.masked_fill(pad, 2);
  ASSERT_GT(pad.sum().item<int64_t>(), 0);
  EXPECT_NEAR(computeLoss(net->forward(garbage), garbage, cfg, w).total.item<double>(), loss, 1e-5);
  EXPECT_TRUE(std::isfinite(loss));
}
