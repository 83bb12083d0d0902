// SPDX-License-Identifier: GPL-3.0-or-later
// The LibTorch network and its losses: shapes, masks, FiLM identity, gate range,
// MultiEMO equivalence, hand-computed losses.
#include <gtest/gtest.h>

#include <map>
#include <torch/torch.h>

#include "losses.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
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

TEST(Net, GateStaysStrictlyBetweenZeroAndOne) {
  const auto corpus = testing_util::tinyCorpus();
  for (const char* input : {"speaker", "speaker+context"}) {
    ModelConfig cfg = testing_util::tinyConfig(corpus);
    cfg.gateInput = input;
    torch::manual_seed(2);
    Net net(cfg);
    {
      torch::NoGradGuard ng;
      for (auto& p : net->gateAudio->parameters()) p.mul_(50);  // push towards saturation
    }
    const auto out = net->forward(makeBatch(corpus, {0, 1}));
    EXPECT_GT(out.gateAudio.min().item<float>(), 0.0f) << input;
    EXPECT_LT(out.gateAudio.max().item<float>(), 1.0f + 1e-7f) << input;
    EXPECT_GE(out.gateVisual.min().item<float>(), 0.0f) << input;
  }
}

TEST(Net, GateInitSetsEveryGateToThatValue) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig cfg = testing_util::tinyConfig(corpus);
  cfg.gateInit = 0.9;
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

TEST(Net, AllThreeOffIsMultiEmoExactly) {
  const auto corpus = testing_util::tinyCorpus();
  ModelConfig multi = testing_util::tinyConfig(corpus);
  multi.film = multi.gate = multi.aux = false;
  ModelConfig mlsanOff = testing_util::tinyConfig(corpus);
  mlsanOff.film = false;
  mlsanOff.gate = false;
  mlsanOff.aux = false;
  ASSERT_EQ(mlsanOff.variantName(), "multiemo");
  // Same seed, same weights: the ML-SAN model with every component off has exactly
  // MultiEMO's parameters, names and values.
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
  // ML-SAN with its speaker-adaptive modules removed computes MultiEMO's outputs.
  torch::manual_seed(4);
  Net c(mlsanOff);
  a->eval();
  c->eval();
  const Batch batch = makeBatch(corpus, {0, 1, 2, 3, 4});
  const auto oa = a->forward(batch), oc = c->forward(batch);
  EXPECT_TRUE(torch::equal(oa.logits, oc.logits));
  EXPECT_EQ(a->parameters().size(), c->parameters().size());
  // And with FiLM at its identity init and the gate forced open (bias +inf), the full model
  // differs from MultiEMO only through the aux head, which does not touch the logits.
  {
    torch::NoGradGuard ng;
    b->gateAudio->weight.zero_();
    b->gateAudio->bias.fill_(1e4);
    b->gateVisual->weight.zero_();
    b->gateVisual->bias.fill_(1e4);
  }
  b->eval();
  const auto ob = b->forward(batch);
  EXPECT_TRUE(torch::allclose(oa.logits, ob.logits, 1e-5, 1e-6));
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
  const double before = computeLoss(net->forward(b), b, cfg, w).total.item<double>();
  // Garbage in padded cells changes nothing.
  Batch garbage = b;
  garbage.text = b.text.clone();
  garbage.text.masked_fill_(b.mask.logical_not().unsqueeze(2), 1e6);
  garbage.label = b.label.clone();
  EXPECT_NEAR(computeLoss(net->forward(garbage), garbage, cfg, w).total.item<double>(), before, 1e-4);
  EXPECT_TRUE(std::isfinite(before));
}
