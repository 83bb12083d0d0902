// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/bench.h"

#include <chrono>

#include "internal.h"
#include "losses.h"

namespace mlsan::model {
namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// Multiply-adds of one forward pass per utterance, times 2 for FLOP; backward ~ 2x forward.
double estimateGflop(const ModelConfig& c, long utterances, long sumSquaredLengths) {
  const double d = c.d;
  double perUtt = 0;
  perUtt += c.dimText * d + c.dimAudio * d + c.dimVisual * d;                  // projections
  if (c.film) perUtt += 2.0 * c.speakerDim * (c.dimAudio + c.dimVisual);       // FiLM
  const double rnnCell = 3 * (2 * d * d + d * d) + 3 * (2 * d * d + d * d) + 3 * (d * d + d * d);  // 3 GRU cells
  const int rnns = (c.textContext ? 3 : 2) * (c.bidirectional ? 2 : 1);
  perUtt += rnns * rnnCell;
  const double mhaProj = 4 * d * d, ffn = 8 * d * d;
  perUtt += 3.0 * c.fusionLayers * (2 * mhaProj + ffn);                          // fusion (projections)
  perUtt += 3 * d * d + d * c.mlpHidden + c.mlpHidden * c.numClasses;             // head
  double attention = 3.0 * c.fusionLayers * 2 * 2 * d * static_cast<double>(sumSquaredLengths);  // QK^T and AV
  const double forward = 2 * (perUtt * utterances + attention);
  return 3 * forward / 1e9;
}
}  // namespace

TrainBench benchTrain(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& tc, int epochs) {
  setThreads(tc.threads);
  const torch::Device device = parseDevice(tc.device);
  torch::manual_seed(tc.seed);
  Net net(model);
  net->to(device);
  net->train();
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(tc.lr).weight_decay(tc.weightDecay));
  const auto classWeights = swfcClassWeightsFor(model);
  const auto ids = dialoguesOf(corpus, data::Split::Train);
  const auto batches = chunk(ids, tc.batchSize);
  TrainBench r;
  long sumSq = 0;
  for (int id : ids) {
    r.utterances += static_cast<long>(corpus.dialogues[id].size());
    sumSq += static_cast<long>(corpus.dialogues[id].size() * corpus.dialogues[id].size());
  }
  r.batches = static_cast<int>(batches.size());
  r.estimatedGflop = estimateGflop(model, r.utterances, sumSq);
  for (int e = 0; e < std::max(1, epochs); ++e) {
    double tBatch = 0, tForward = 0, tLoss = 0, tBackward = 0, tStep = 0, tMicro = 0;
    const auto epochStart = Clock::now();
    for (std::size_t bi = 0; bi < batches.size(); ++bi) {
      const auto& b = batches[bi];
      auto t = Clock::now();
      if (tc.microBatch > 0) {  // phases interleave: batching, two forward passes, losses, backward
        trainStep(net, opt, corpus, b, model, classWeights, tc.microBatch, device, tc.seed + bi);
        tMicro += since(t);
        t = Clock::now();
        opt.step();
        tStep += since(t);
        continue;
      }
      const Batch batch = makeBatch(corpus, b).to(device);
      tBatch += since(t);
      t = Clock::now();
      const NetOutput out = net->forward(batch);
      tForward += since(t);
      t = Clock::now();
      const LossParts parts = computeLoss(out, batch, model, classWeights);
      tLoss += since(t);
      t = Clock::now();
      opt.zero_grad();
      parts.total.backward();
      tBackward += since(t);
      t = Clock::now();
      opt.step();
      tStep += since(t);
    }
    r.epochSeconds = since(epochStart);
    if (tc.microBatch > 0)
      r.phases = {{"micro-batched forward x2, losses, backward", tMicro}, {"optimizer step", tStep}};
    else
      r.phases = {{"batching", tBatch}, {"forward", tForward}, {"losses (forward)", tLoss}, {"backward", tBackward}, {"optimizer step", tStep}};
  }
  return r;
}

namespace {
/// A seeded, untrained network on the device, for the inference benchmarks (timing does not
/// depend on the weights), and the test split it runs over.
struct InferSetup {
  torch::Device device{torch::kCPU};
  Net net{nullptr};
  torch::Tensor classWeights;
  std::vector<int> ids;
  InferSetup(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& tc) : device(parseDevice(tc.device)) {
    setThreads(tc.threads);
    torch::manual_seed(tc.seed);
    net = Net(model);
    net->to(device);
    classWeights = swfcClassWeightsFor(model);
    ids = dialoguesOf(corpus, data::Split::Test);
  }
};
}  // namespace

InferBench benchInfer(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& tc, int repeats) {
  InferSetup b(corpus, model, tc);
  auto& [device, net, classWeights, ids] = b;
  InferBench r;
  r.seconds = 1e300;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    const auto t = Clock::now();
    const EvalResult e = evaluate(net, corpus, ids, tc.batchSize, device, classWeights, true);
    r.seconds = std::min(r.seconds, since(t));
    r.utterances = static_cast<long>(e.details.utterances.size());
  }
  return r;
}

ExplainBench benchExplain(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& tc, const std::string& scope,
                          int repeats) {
  InferSetup b(corpus, model, tc);
  auto& [device, net, classWeights, ids] = b;
  RelianceOptions options;
  options.scope = scope;
  ExplainBench r;
  r.inferSeconds = r.explainSeconds = 1e300;
  for (int i = 0; i < std::max(1, repeats); ++i) {
    auto t = Clock::now();
    const EvalResult e = evaluate(net, corpus, ids, tc.batchSize, device, classWeights, true);
    r.inferSeconds = std::min(r.inferSeconds, since(t));
    r.utterances = static_cast<long>(e.details.utterances.size());
    t = Clock::now();
    explainNet(net, device, corpus, ids, options, tc.batchSize);
    r.explainSeconds = std::min(r.explainSeconds, since(t));
  }
  return r;
}

}  // namespace mlsan::model
