// SPDX-License-Identifier: GPL-3.0-or-later
// Our MultiEMO against the authors' own code (TaoShi1998/MultiEMO), numerically: the goldens in
// tests/golden/multiemo/ were written by tests/golden/make_multiemo_golden.py running their
// classes with Debian's python3-torch. Weights, gradients and Adam results come in as the
// state_dicts torch.save wrote, read by our own reader and mapped by the importer (import.h).
// Tolerances: outputs 1e-5 relative, losses 1e-6, gradients 1e-4 relative (to the tensor's
// largest magnitude).
#include <gtest/gtest.h>

#include "losses.h"
#include "multiemo_golden.h"

namespace {
using namespace multiemo_golden;

struct Padded {
  torch::Tensor party, lengths, real;  ///< [T, B] long, [B] long, [T, B] float
  int64_t T = 0, B = 0;
};

/// The golden batch's layout: columns in dialogue order, time-major (MultiEMO's pad_sequence).
Padded paddedOf(const json& batch) {
  Padded p;
  const auto lengths = batch["lengths"].get<std::vector<int64_t>>();
  p.B = static_cast<int64_t>(lengths.size());
  p.T = *std::max_element(lengths.begin(), lengths.end());
  p.party = torch::zeros({p.T, p.B}, torch::kLong);
  p.real = torch::zeros({p.T, p.B});
  p.lengths = torch::tensor(lengths);
  for (int64_t b = 0; b < p.B; ++b)
    for (int64_t t = 0; t < lengths[b]; ++t) {
      p.party[t][b] = batch["dialogues"][b]["party"][t].get<int64_t>();
      p.real[t][b] = 1;
    }
  return p;
}

}  // namespace

TEST(MultiEmoParity, TheGoldenStateDictReadsTheSameInTheZipAndTheLegacyFormat) {
  const auto zip = data::readTorchStateDict(golden("meld_state.pt"));
  const auto legacy = data::readTorchStateDict(golden("meld_state_legacy.pt"));
  EXPECT_EQ(zip.format, "zip");
  EXPECT_EQ(legacy.format, "legacy");
  ASSERT_EQ(zip.tensors.size(), legacy.tensors.size());
  for (std::size_t i = 0; i < zip.tensors.size(); ++i) {
    EXPECT_EQ(zip.tensors[i].first, legacy.tensors[i].first);
    EXPECT_EQ(zip.tensors[i].second.shape, legacy.tensors[i].second.shape);
    EXPECT_EQ(zip.tensors[i].second.data.view(), legacy.tensors[i].second.data.view()) << zip.tensors[i].first;
  }
}

TEST(MultiEmoParity, DialogueRnnMatchesInBothFormsPaddingIncludedWhenUnmasked) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    Net net = netFrom(form + "_state.pt", configOf(form, false));
    const Padded p = paddedOf(g["batch"]);
    const int64_t d = g["config"]["d"];
    const auto x = tensorOf(g["dialoguernn"]["input"], {p.T, p.B, d});
    const auto theirs = tensorOf(g["dialoguernn"]["output"], {p.T, p.B, d});
    torch::NoGradGuard ng;
    // Unmasked: every column runs every step, padded steps as MultiEMO's code runs them.
    const std::vector<int64_t> everyStep;
    EXPECT_REL(net->ctxAudio->forward(x, p.party, p.lengths, everyStep, p.real), theirs, 1e-5);
    // Masked mode computes real positions only: they are the same (padding comes after them).
    const auto realOnly = net->ctxAudio->forward(x, p.party, p.lengths, everyStep) * p.real.unsqueeze(2);
    EXPECT_REL(realOnly, theirs * p.real.unsqueeze(2), 1e-5);
  }
}

TEST(MultiEmoParity, MultiAttnMatchesUnmaskedAndEqualsEachDialogueAloneWhenMasked) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    const json& m = g["multiattn"];
    Net net = netFrom(form + "_state.pt", configOf(form, true));
    const Padded p = paddedOf(g["batch"]);
    const int64_t d = g["config"]["d"];
    auto tb = [&](const json& v) { return tensorOf(v, {p.B, p.T, d}).transpose(0, 1).contiguous(); };  // [B,T,d] -> [T,B,d]
    const auto t = tb(m["text"]), a = tb(m["audio"]), v = tb(m["visual"]);
    const std::array<torch::Tensor, 3> theirs{tb(m["out_text"]), tb(m["out_audio"]), tb(m["out_visual"])};
    torch::NoGradGuard ng;
    const Packing all = Packing::all(p.T, p.B, torch::kCPU);
    const auto unmasked = net->fuse(all.pack(t), all.pack(a), all.pack(v), all);
    for (int k = 0; k < 3; ++k) EXPECT_REL(all.unpack(unmasked[k]), theirs[k], 1e-5);
    // Masked: each dialogue's rows are what MultiEMO computes for it alone (no padding). MultiEMO
    // on the padded batch differs for the shorter dialogues: their queries attend to padding.
    const Packing packed = Packing::of(p.real.to(torch::kBool));
    const auto masked = net->fuse(packed.pack(t), packed.pack(a), packed.pack(v), packed);
    const char* names[] = {"text", "audio", "visual"};
    for (int64_t b = 0; b < p.B; ++b) {
      const int64_t n = g["batch"]["lengths"][b];
      for (int k = 0; k < 3; ++k) {
        const auto ours = packed.unpack(masked[k]).select(1, b).slice(0, 0, n);
        const auto alone = tensorOf(m["alone"][b][names[k]], {n, d});
        EXPECT_REL(ours, alone, 1e-5) << "dialogue " << b << " " << names[k];
        const double leak = relError(theirs[k].select(1, b).slice(0, 0, n), alone);
        if (n == p.T) EXPECT_LE(leak, 1e-5) << "the longest dialogue has no padding to leak";
        else EXPECT_GT(leak, 1e-3) << "MultiEMO's padded dialogue " << b << " is expected to see its padding";
      }
    }
  }
}

TEST(MultiEmoParity, MlpMatches) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    Net net = netFrom(form + "_state.pt", configOf(form, true));
    const int64_t d = g["config"]["d"], classes = g["config"]["num_classes"];
    const auto x = tensorOf(g["mlp"]["input"], {-1, d});
    torch::NoGradGuard ng;
    EXPECT_REL(net->mlp2(torch::relu(net->mlp1(x))), tensorOf(g["mlp"]["output"], {-1, classes}), 1e-5);
  }
}

namespace {
/// Our [T, B', ...] output at the golden rows [b, t] (b: the golden dialogue index).
torch::Tensor rowsOf(const torch::Tensor& out, const Batch& batch, const json& rows) {
  std::vector<torch::Tensor> v;
  for (const auto& r : rows) {
    const int b = r[0], t = r[1];
    const auto col = std::find(batch.dialogues.begin(), batch.dialogues.end(), b) - batch.dialogues.begin();
    v.push_back(out[t][col]);
  }
  return torch::stack(v);
}
}  // namespace

TEST(MultiEmoParity, TheWholeModelInEvalModeMatchesUnmaskedAndEachDialogueAloneWhenMasked) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    const json& m = g["model"];
    const auto corpus = corpusOf(form, g["batch"]["dialogues"]);
    const Batch batch = makeBatch(corpus, {0, 1, 2});
    const int64_t d = g["config"]["d"], classes = g["config"]["num_classes"];
    torch::NoGradGuard ng;
    Net unmasked = netFrom(form + "_state.pt", configOf(form, false));
    const NetOutput out = unmasked->forward(batch);
    EXPECT_REL(rowsOf(out.fusedText, batch, m["rows"]), tensorOf(m["fused_text"], {-1, d}), 1e-5);
    EXPECT_REL(rowsOf(out.fusedAudio, batch, m["rows"]), tensorOf(m["fused_audio"], {-1, d}), 1e-5);
    EXPECT_REL(rowsOf(out.fusedVisual, batch, m["rows"]), tensorOf(m["fused_visual"], {-1, d}), 1e-5);
    EXPECT_REL(rowsOf(out.fc, batch, m["rows"]), tensorOf(m["fc"], {-1, d}), 1e-5);
    EXPECT_REL(rowsOf(out.logits, batch, m["rows"]), tensorOf(m["logits"], {-1, classes}), 1e-5);
    Net masked = netFrom(form + "_state.pt", configOf(form, true));
    const NetOutput mo = masked->forward(batch);
    for (int b = 0; b < 3; ++b) {
      const auto col = std::find(batch.dialogues.begin(), batch.dialogues.end(), b) - batch.dialogues.begin();
      const int64_t n = corpus.dialogues[b].size();
      EXPECT_REL(mo.logits.select(1, col).slice(0, 0, n), tensorOf(m["alone_logits"][b], {n, classes}), 1e-5) << "dialogue " << b;
    }
  }
}

TEST(MultiEmoParity, SwfcAndSoftHgrLossesAndTheirGradients) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    const json& s = g["swfc"];
    const ModelConfig cfg = configOf(form, true);
    const int64_t d = g["config"]["d"];
    auto z = tensorOf(s["features"], {-1, d}).requires_grad_(true);
    const auto y = torch::tensor(s["labels"].get<std::vector<int64_t>>());
    const auto loss = swfcLoss(z, y, swfcClassWeights(s["class_counts"].get<std::vector<double>>(), cfg.alpha), cfg.tau, cfg.gamma);
    loss.backward();
    EXPECT_NEAR(loss.item<double>(), s["loss"].get<double>(), 1e-6);
    EXPECT_REL(z.grad(), tensorOf(s["grad"], {-1, d}), 1e-4);

    const json& h = g["soft_hgr"];
    std::vector<torch::Tensor> f;
    for (int k = 0; k < 3; ++k) f.push_back(tensorOf(h["inputs"][k], {-1, d}).requires_grad_(true));
    const auto hgr = softHgrLoss(f[0], f[1], f[2]);
    hgr.backward();
    EXPECT_NEAR(hgr.item<double>(), h["loss"].get<double>(), 1e-6);
    for (int k = 0; k < 3; ++k) EXPECT_REL(f[k].grad(), tensorOf(h["grads"][k], {-1, d}), 1e-4) << "input " << k;
  }
}

TEST(MultiEmoParity, TheWholeObjectiveItsGradientsAndOneAdamStepWithWeightDecay) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& g = goldenJson()["forms"][form];
    const json& o = g["objective"];
    const auto corpus = corpusOf(form, g["batch"]["dialogues"]);
    ModelConfig cfg = configOf(form, false);
    cfg.classCounts = o["class_counts"].get<std::vector<double>>();
    Net net = netFrom(form + "_state.pt", cfg);
    net->train();  // as MultiEMO's training step (dropout 0: the same as eval)
    const Batch batch = makeBatch(corpus, {0, 1, 2});
    const LossParts parts = computeLoss(net->forward(batch), batch, cfg, swfcClassWeightsFor(cfg));
    EXPECT_NEAR(parts.ce, o["ce"].get<double>(), 1e-6);
    EXPECT_NEAR(parts.swfc, o["swfc"].get<double>(), 1e-6);
    EXPECT_NEAR(parts.hgr, o["hgr"].get<double>(), 1e-6);
    EXPECT_NEAR(parts.total.item<double>(), o["total"].get<double>(), 1e-6);
    parts.total.backward();
    const auto grads = mapped(form + "_grads.pt", net);
    double largest = 0;
    for (const auto& [name, g] : grads) largest = std::max(largest, g.abs().max().item<double>());
    for (const auto& p : net->named_parameters()) {
      const std::string& name = p.key();
      if (name.size() > 7 && name.compare(name.size() - 7, 7, ".k.bias") == 0) {
        // A key bias adds q.b to all the scores of a query, which the softmax ignores: its
        // gradient is 0 analytically, and both sides hold only rounding noise there.
        EXPECT_LE(p.value().grad().abs().max().item<double>(), 1e-6 * largest) << name;
        EXPECT_LE(grads.at(name).abs().max().item<double>(), 1e-6 * largest) << name;
        continue;
      }
      EXPECT_REL(p.value().grad(), grads.at(name), 1e-4) << name;
    }

    // Adam from their gradients exactly, so that only the optimizer is compared.
    TrainConfig tc;
    tc.lr = o["adam"]["lr"];
    tc.weightDecay = o["adam"]["weight_decay"];
    auto opt = makeOptimizer(net, tc);
    {
      torch::NoGradGuard ng;
      for (auto& p : net->named_parameters()) p.value().mutable_grad().copy_(grads.at(p.key()));
    }
    opt->step();
    const auto after = mapped(form + "_after_adam.pt", net);
    for (const auto& p : net->named_parameters())
      EXPECT_LE((p.value() - after.at(p.key())).abs().max().item<double>(), 1e-6) << p.key();
  }
}

TEST(MultiEmoParity, ThreeEpochsOfTrainingFollowTheAuthorsLossCurve) {
  for (const auto& form : kForms) {
    SCOPED_TRACE(form);
    const json& tr = goldenJson()["forms"][form]["training"];
    const auto corpus = corpusOf(form, tr["dialogues"]);
    ModelConfig cfg = configOf(form, false);
    cfg.classCounts = tr["class_counts"].get<std::vector<double>>();
    EXPECT_EQ(classCountsOf(corpus, dialoguesOf(corpus, data::Split::Train), cfg.numClasses), cfg.classCounts);
    setThreads(1);
    Net net = netFrom(form + "_train_init.pt", cfg);
    net->train();
    TrainConfig tc;
    tc.lr = tr["lr"];
    tc.weightDecay = tr["weight_decay"];
    auto opt = makeOptimizer(net, tc);
    const auto weights = swfcClassWeightsFor(cfg);
    std::size_t step = 0;
    double largest = 0;
    for (const auto& epoch : tr["batches"])
      for (const auto& ids : epoch) {
        const StepResult r = trainStep(net, *opt, corpus, ids.get<std::vector<int>>(), cfg, weights, 0, torch::kCPU, step);
        opt->step();
        const json& theirs = tr["steps"][step++];
        largest = std::max(largest, std::abs(r.loss - theirs["total"].get<double>()));
        EXPECT_NEAR(r.loss, theirs["total"].get<double>(), 1e-5) << "step " << step;
        EXPECT_NEAR(r.parts.ce, theirs["ce"].get<double>(), 1e-5) << "step " << step;
        EXPECT_NEAR(r.parts.swfc, theirs["swfc"].get<double>(), 1e-5) << "step " << step;
        EXPECT_NEAR(r.parts.hgr, theirs["hgr"].get<double>(), 1e-5) << "step " << step;
      }
    EXPECT_EQ(step, tr["steps"].size());
    std::printf("[ measured ] %s: largest difference of the total loss over %zu steps: %.2e\n", form.c_str(), step, largest);
    net->eval();
    torch::NoGradGuard ng;
    const Batch probe = makeBatch(corpus, tr["probe_dialogues"].get<std::vector<int>>());
    const auto logits = net->forward(probe).logits;
    json rows = json::array();
    for (int b = 0; b < 3; ++b)
      for (std::size_t t = 0; t < corpus.dialogues[b].size(); ++t) rows.push_back({b, t});
    EXPECT_REL(rowsOf(logits, probe, rows), tensorOf(tr["final_logits"], {-1, cfg.numClasses}), 1e-4);
  }
}

TEST(MultiEmoParity, ReduceLrOnPlateauFollowsPyTorchWithMultiEmosThreshold) {
  const json& g = goldenJson()["plateau"];
  TrainConfig tc;
  tc.plateauFactor = g["factor"];
  tc.plateauPatience = g["patience"];
  tc.plateauThreshold = g["threshold"];
  ASSERT_EQ(tc.plateauThreshold, preset("meld").train.plateauThreshold);
  ASSERT_EQ(tc.plateauThreshold, preset("iemocap").train.plateauThreshold);
  Plateau p;
  double lr = 1e-4;
  for (std::size_t i = 0; i < g["values"].size(); ++i) {
    lr = p.step(g["values"][i].get<double>(), lr, tc);
    EXPECT_NEAR(lr, g["lrs"][i].get<double>(), 1e-15) << "epoch " << i + 1;
  }
}

TEST(MultiEmoParity, TheDrawnValidationDialoguesAreTheOnesTrainMultiEmoHoldsOut) {
  for (const auto& v : goldenJson()["validation"]) {
    const int n = v["n"];
    SCOPED_TRACE(n);
    std::vector<int> train(n), val;
    for (int i = 0; i < n; ++i) train[i] = 1000 + 3 * i;  // dialogue indices, in file order
    std::vector<int> expected;
    for (int position : v["validation"]) expected.push_back(1000 + 3 * position);
    std::sort(expected.begin(), expected.end());
    drawValidation(train, val, v["fraction"], 12345, "multiemo");  // whatever --seed is
    EXPECT_EQ(val, expected);
    EXPECT_EQ(train.size() + val.size(), static_cast<std::size_t>(n));
    std::vector<int> seeded = std::vector<int>(n), other;
    for (int i = 0; i < n; ++i) seeded[i] = 1000 + 3 * i;
    drawValidation(seeded, other, v["fraction"], 12345, "seed");
    EXPECT_EQ(other.size(), val.size());
    if (val.size() > 1) EXPECT_NE(other, val) << "our own draw is another one";  // one of 37 can coincide
  }
}
