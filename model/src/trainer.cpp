// SPDX-License-Identifier: GPL-3.0-or-later
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <sstream>

#include "internal.h"
#include "losses.h"
#include "mlsan/analysis/metrics.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/model/run.h"

namespace mlsan::model {
namespace fs = std::filesystem;
using nlohmann::json;

void fitConfigToCorpus(ModelConfig& c, const data::Corpus& corpus) {
  c.dimText = corpus.dimText;
  c.dimAudio = corpus.dimAudio;
  c.dimVisual = corpus.dimVisual;
  c.numClasses = corpus.labels.size();
  c.numSpeakers = std::max<int>(1, static_cast<int>(corpus.speakers.size()));
  c.maxParties = std::max(c.maxParties, corpus.maxParties());
  c.classCounts = classCountsOf(corpus, dialoguesOf(corpus, data::Split::Train), c.numClasses);
}

namespace {

struct TrainerState {
  double lr = 0;
  Plateau plateau;
  double bestValF1 = -1;
  int bestEpoch = 0;
  double testAtBest = 0;
  double bestTestF1 = -1;
  int bestTestEpoch = 0;
  std::vector<EpochRecord> curve;

  std::string toJson() const {
    json c = json::array();
    for (const auto& r : curve)
      c.push_back({r.epoch, r.trainLoss, r.valLoss, r.valWeightedF1, r.testWeightedF1, r.lr, r.seconds, r.trainCE, r.trainSWFC,
                   r.trainHGR, r.trainAux});
    const double pb = std::isfinite(plateau.best) ? plateau.best : 1e300;
    return json{{"lr", lr}, {"plateau_best", pb}, {"plateau_bad", plateau.bad}, {"best_val_f1", bestValF1},
                {"best_epoch", bestEpoch}, {"test_at_best", testAtBest}, {"best_test_f1", bestTestF1},
                {"best_test_epoch", bestTestEpoch}, {"curve", c}}
        .dump();
  }
  void fromJson(const std::string& s) {
    const json j = json::parse(s);
    lr = j.at("lr");
    plateau.best = j.at("plateau_best");
    plateau.bad = j.at("plateau_bad");
    bestValF1 = j.at("best_val_f1");
    bestEpoch = j.at("best_epoch");
    testAtBest = j.at("test_at_best");
    bestTestF1 = j.at("best_test_f1");
    bestTestEpoch = j.at("best_test_epoch");
    curve.clear();
    for (const auto& r : j.at("curve"))
    {
      EpochRecord e;
      e.epoch = r[0]; e.trainLoss = r[1]; e.valLoss = r[2]; e.valWeightedF1 = r[3]; e.testWeightedF1 = r[4];
      e.lr = r[5]; e.seconds = r[6]; e.trainCE = r[7]; e.trainSWFC = r[8]; e.trainHGR = r[9]; e.trainAux = r[10];
      curve.push_back(e);
    }
  }
};

/// An epoch stopped between two batches (SIGTERM, a preemption warning, Cancel): what the
/// trainer needs to carry on from the next batch exactly as if it had never stopped. Each
/// batch's randomness derives from (seed, epoch, batch), so weights, optimizer state and the
/// running loss sums are all there is. Saved in checkpoints/interrupted.pt's state.
struct PartialEpoch {
  int epoch = 0;  ///< 0: none
  int batchesDone = 0, batches = 0;
  double lossSum = 0, ceSum = 0, swfcSum = 0, hgrSum = 0, auxSum = 0, seconds = 0;
  long lossCount = 0;
  json toJson() const {
    return {{"epoch", epoch}, {"batches_done", batchesDone}, {"batches", batches}, {"loss_sum", lossSum}, {"ce_sum", ceSum},
            {"swfc_sum", swfcSum}, {"hgr_sum", hgrSum}, {"aux_sum", auxSum}, {"count", lossCount}, {"seconds", seconds}};
  }
  static PartialEpoch fromJson(const json& j) {
    PartialEpoch p;
    p.epoch = j.at("epoch");
    p.batchesDone = j.at("batches_done");
    p.batches = j.at("batches");
    p.lossSum = j.at("loss_sum");
    p.ceSum = j.at("ce_sum");
    p.swfcSum = j.at("swfc_sum");
    p.hgrSum = j.at("hgr_sum");
    p.auxSum = j.at("aux_sum");
    p.lossCount = j.at("count");
    p.seconds = j.at("seconds");
    return p;
  }
};

/// After loading an optimizer's state into a fresh process: a parameter that was stepped before
/// gets a zero gradient, as zero_grad() left it in the process that saved the state. Without
/// it, a batch that gives that parameter no gradient would skip its momentum update here (Adam
/// skips undefined gradients) but not there, and a resumed run would drift from the
/// uninterrupted one.
void primeGradients(Net& net, torch::optim::Optimizer& opt) {
  for (auto& p : net->parameters())
    if (!p.grad().defined() && opt.state().count(c10::guts::to_string(p.unsafeGetTensorImpl())))
      p.mutable_grad() = torch::zeros_like(p);
}

/// A best.pt.pending left by a run stopped between writing it and last.pt's commit: completed
/// when last.pt's state says it is the best epoch, dropped when last.pt never got that far.
void settlePendingBest(const RunPaths& paths, int bestEpoch, Progress& progress) {
  const std::string pending = paths.pendingBestCheckpoint();
  if (!fs::exists(pending)) return;
  int epoch = -1;
  try {
    epoch = readCheckpointMeta(pending).epoch;
  } catch (const std::exception&) {
    // unreadable: a write cut short; dropped below
  }
  if (epoch == bestEpoch) {
    fs::rename(pending, paths.bestCheckpoint());
    progress.message("completed " + paths.bestCheckpoint() + " (epoch " + std::to_string(epoch) + ") left pending by an interrupted run");
  } else {
    fs::remove(pending);
    progress.message("dropped " + pending + ": its epoch was never committed to " + paths.lastCheckpoint());
  }
}

void checkResumable(const CheckpointMeta& meta, const ModelConfig& model, const TrainConfig& train,
                    const data::Corpus& corpus, const std::string& path) {
  // The corpus first: SWFC's class counts, part of the configuration, come from it.
  if (meta.corpusSignature != corpus.signature())
    throw CheckpointError(path + ": cannot resume on a different corpus (trained on '" + meta.corpusName + "', signature " +
                          meta.corpusSignature + "; given '" + corpus.name + "', signature " + corpus.signature() + ")");
  const std::string diff = meta.model.differences(model);
  if (!diff.empty()) throw CheckpointError(path + ": cannot resume with a different configuration (" + diff + ")");
  std::ostringstream d;
  if (meta.train.seed != train.seed) d << "seed: " << meta.train.seed << " vs " << train.seed << "; ";
  if (meta.train.batchSize != train.batchSize) d << "batch size: " << meta.train.batchSize << " vs " << train.batchSize << "; ";
  if (meta.train.lr != train.lr) d << "lr: " << meta.train.lr << " vs " << train.lr << "; ";
  if (meta.train.speakerLrScale != train.speakerLrScale)
    d << "speaker lr scale: " << meta.train.speakerLrScale << " vs " << train.speakerLrScale << "; ";
  if (meta.train.microBatch != train.microBatch) d << "micro-batch: " << meta.train.microBatch << " vs " << train.microBatch << "; ";
  if (meta.train.weightDecay != train.weightDecay) d << "weight decay: " << meta.train.weightDecay << " vs " << train.weightDecay << "; ";
  if (meta.train.valDraw != train.valDraw) d << "validation draw: " << meta.train.valDraw << " vs " << train.valDraw << "; ";
  if (meta.train.selectOn != train.selectOn) d << "select on: " << meta.train.selectOn << " vs " << train.selectOn << "; ";
  if (!d.str().empty()) throw CheckpointError(path + ": cannot resume with different training settings (" + d.str() + ")");
}

}  // namespace

double Plateau::step(double value, double lr, const TrainConfig& tc) {
  if (value < best * (1 - tc.plateauThreshold)) {
    best = value;
    bad = 0;
    return lr;
  }
  if (++bad <= tc.plateauPatience) return lr;
  bad = 0;
  const double reduced = lr * tc.plateauFactor;
  return lr - reduced > 1e-8 ? reduced : lr;  // PyTorch's eps
}

std::vector<double> classCountsOf(const data::Corpus& corpus, const std::vector<int>& dialogues, int numClasses) {
  std::vector<double> counts(numClasses, 0.0);
  for (int i : dialogues)
    for (const auto& u : corpus.dialogues[i].utterances)
      if (u.label >= 0 && u.label < numClasses) counts[u.label] += 1;
  return counts;
}

std::vector<int> numpyLegacyShuffle(int n, std::uint32_t seed) {
  std::mt19937 mt(seed);  // numpy.random.seed(int) is MT19937's init_genrand
  std::vector<int> v(static_cast<std::size_t>(std::max(n, 0)));
  std::iota(v.begin(), v.end(), 0);
  for (int i = n - 1; i > 0; --i) {  // RandomState.shuffle: j = random_interval(i), masked rejection
    std::uint32_t mask = static_cast<std::uint32_t>(i);
    for (int s = 1; s < 32; s <<= 1) mask |= mask >> s;
    std::uint32_t j;
    while ((j = static_cast<std::uint32_t>(mt()) & mask) > static_cast<std::uint32_t>(i)) {
    }
    std::swap(v[static_cast<std::size_t>(i)], v[j]);
  }
  return v;
}

void drawValidation(std::vector<int>& train, std::vector<int>& val, double fraction, std::uint64_t seed, const std::string& draw) {
  const std::size_t n = train.size();
  if (n < 2) return;
  // int(fraction * n), as MultiEMO's get_train_valid_sampler takes it
  std::size_t k = static_cast<std::size_t>(std::floor(std::clamp(fraction, 0.0, 0.5) * static_cast<double>(n)));
  k = std::clamp<std::size_t>(k, 1, n - 1);
  std::vector<int> order = train;
  if (draw == "multiemo") {
    const auto perm = numpyLegacyShuffle(static_cast<int>(n), 2023);  // TrainMultiEMO.py's set_seed(2023)
    for (std::size_t i = 0; i < n; ++i) order[i] = train[static_cast<std::size_t>(perm[i])];
  } else if (draw == "seed") {
    std::mt19937_64 rng(seed * 2654435761ULL + 97);
    for (std::size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  } else {
    throw std::invalid_argument("--val-draw must be 'seed' or 'multiemo', not '" + draw + "'");
  }
  val.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
  train.assign(order.begin() + static_cast<std::ptrdiff_t>(k), order.end());
  std::sort(val.begin(), val.end());
  std::sort(train.begin(), train.end());
}

/// Group 0 runs at `lr`; group 1 (ML-SAN's speaker-level parameters, when their lr is scaled)
/// at `lr * scale`.
void setLearningRate(torch::optim::Adam& opt, double lr, double scale) {
  auto& groups = opt.param_groups();
  for (std::size_t g = 0; g < groups.size(); ++g)
    static_cast<torch::optim::AdamOptions&>(groups[g].options()).lr(g == 0 ? lr : lr * scale);
}

bool isSpeakerLevelParameter(const std::string& n) {
  return n.rfind("speaker_", 0) == 0 || n.rfind("film_", 0) == 0 || n.rfind("gate_", 0) == 0;
}

/// Adam over the network; with a speaker lr scale other than 1, the speaker embedding, FiLM,
/// gate and auxiliary head form a second parameter group.
std::unique_ptr<torch::optim::Adam> makeOptimizer(Net& net, const TrainConfig& tc) {
  const auto options = torch::optim::AdamOptions(tc.lr).weight_decay(tc.weightDecay);
  if (tc.speakerLrScale == 1.0) return std::make_unique<torch::optim::Adam>(net->parameters(), options);
  std::vector<torch::Tensor> base, speaker;
  for (const auto& p : net->named_parameters()) {
    const std::string& n = p.key();
    (isSpeakerLevelParameter(n) ? speaker : base).push_back(p.value());
  }
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(base, std::make_unique<torch::optim::AdamOptions>(options));
  auto scaled = std::make_unique<torch::optim::AdamOptions>(options);
  scaled->lr(tc.lr * tc.speakerLrScale);
  groups.emplace_back(speaker, std::move(scaled));
  return std::make_unique<torch::optim::Adam>(groups, options);
}

std::vector<std::vector<int>> epochBatches(const std::vector<int>& trainIds, const TrainConfig& tc, int epoch) {
  torch::manual_seed(tc.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
  std::vector<int> order = trainIds;
  std::mt19937_64 shuffleRng(tc.seed * 7919ULL + static_cast<std::uint64_t>(epoch));
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[shuffleRng() % i]);
  return chunk(order, tc.batchSize);
}

StepResult trainStep(Net& net, torch::optim::Optimizer& opt, const data::Corpus& corpus, const std::vector<int>& ids,
                     const ModelConfig& model, const torch::Tensor& classWeights, int microBatch,
                     const torch::Device& device, std::uint64_t rngSeed) {
  StepResult r;
  opt.zero_grad();
  if (microBatch <= 0 || static_cast<int>(ids.size()) <= microBatch) {
    const Batch batch = makeBatch(corpus, ids).to(device);
    r.labelled = batch.mask.logical_and(batch.label.ge(0)).sum().item<long>();
    if (r.labelled == 0) return r;
    const LossRows rows = lossRows(net->forward(batch), batch);
    r.parts = computeLoss(rows, model, classWeights);
    r.loss = r.parts.total.item<double>();
    if (!std::isfinite(r.loss)) return r;
    r.auxScale = prepareAuxGradient(net, rows, model, classWeights);
    backwardObjective(net, r.parts.emotion, r.parts.auxTerm, model);
    return r;
  }
  // Micro-batches: the network is masked, so each dialogue's outputs do not depend on its batch
  // companions and a micro-batch computes exactly its rows of the whole batch's forward pass.
  // Pass 1 computes every row without a graph; the objective (which needs the whole batch:
  // SWFC and Soft-HGR couple all rows) is differentiated with respect to those rows; pass 2
  // recomputes one micro-batch at a time with a graph and back-propagates its slice of that
  // gradient. Each micro-batch re-seeds dropout identically in both passes.
  const auto chunks = chunk(ids, microBatch);
  std::vector<Batch> batches;
  std::vector<LossRows> rows;
  {
    torch::NoGradGuard noGrad;
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      torch::manual_seed(rngSeed * 131ULL + c);
      batches.push_back(makeBatch(corpus, chunks[c]).to(device));
      rows.push_back(lossRows(net->forward(batches.back()), batches.back()));
    }
  }
  LossRows all = concatRows(rows);
  r.labelled = all.label.size(0);
  if (r.labelled == 0) return r;
  std::vector<torch::Tensor> leaves = all.outputs();
  for (auto& t : leaves) t.requires_grad_(true);
  all.logits = leaves[0]; all.fc = leaves[1]; all.fusedText = leaves[2]; all.fusedAudio = leaves[3]; all.fusedVisual = leaves[4];
  if (all.speakerLogits.defined()) all.speakerLogits = leaves[5];
  r.parts = computeLoss(all, model, classWeights);
  r.loss = r.parts.total.item<double>();
  if (!std::isfinite(r.loss)) return r;
  r.auxScale = prepareAuxGradient(net, all, model, classWeights);  // applied in pass 2, where the graph reaches fc
  r.parts.total.backward();
  std::vector<int64_t> offset(leaves.size(), 0);
  for (std::size_t c = 0; c < chunks.size(); ++c) {
    torch::manual_seed(rngSeed * 131ULL + c);
    const std::vector<torch::Tensor> outs = lossRows(net->forward(batches[c]), batches[c]).outputs();
    // The speaker logits (present with aux) carry only the speaker loss's gradient.
    torch::Tensor surrogate, auxSurrogate;
    for (std::size_t k = 0; k < outs.size(); ++k) {
      const int64_t n = outs[k].size(0);
      if (n == 0) continue;
      const auto g = leaves[k].grad().narrow(0, offset[k], n);
      offset[k] += n;
      const auto term = (outs[k] * g).sum();
      auto& into = k == LossRows::kSpeakerLogits ? auxSurrogate : surrogate;
      into = into.defined() ? into + term : term;
    }
    if (surrogate.defined()) backwardObjective(net, surrogate, auxSurrogate, model);
    else if (auxSurrogate.defined()) backwardObjective(net, auxSurrogate * 0, auxSurrogate, model);
  }
  return r;
}

TrainResult train(const data::Corpus& corpus, const ModelConfig& modelIn, const TrainConfig& tc,
                  const std::string& runDir, bool resume, Progress& progress) {
  const auto started = std::chrono::steady_clock::now();
  if (!corpus.hasFeatures()) throw std::runtime_error("corpus '" + corpus.name + "' has no feature vectors: it can be browsed, not trained on");
  corpus.validate();
  ModelConfig model = modelIn;
  if (model.dimText != corpus.dimText || model.dimAudio != corpus.dimAudio || model.dimVisual != corpus.dimVisual ||
      model.numClasses != corpus.labels.size() || model.numSpeakers < static_cast<int>(corpus.speakers.size()))
    throw std::runtime_error("model configuration does not fit corpus '" + corpus.name + "' (call fitConfigToCorpus)");
  if (model.gateInput != "speaker" && model.gateInput != "speaker+context")
    throw std::invalid_argument("gate input must be 'speaker' or 'speaker+context', not '" + model.gateInput + "'");
  auto trainIds = dialoguesOf(corpus, data::Split::Train);
  auto devIds = dialoguesOf(corpus, data::Split::Dev);
  const auto testIds = dialoguesOf(corpus, data::Split::Test);
  if (trainIds.empty()) throw std::runtime_error("corpus '" + corpus.name + "' has no training dialogues");
  const bool drawn = devIds.empty();
  if (drawn) drawValidation(trainIds, devIds, tc.valFraction, tc.seed, tc.valDraw);
  if (devIds.empty() || trainIds.empty())
    throw std::runtime_error("corpus '" + corpus.name + "' has too few training dialogues to hold some out for validation");

  setThreads(tc.threads);
  const torch::Device device = parseDevice(tc.device);
  const RunPaths paths(runDir);
  fs::create_directories(paths.checkpoints());
  const bool haveLast = fs::exists(paths.lastCheckpoint());
  const bool havePartial = fs::exists(paths.interruptedCheckpoint());
  if ((haveLast || havePartial) && !resume)
    throw std::runtime_error(runDir + " already holds a run (" + (haveLast ? paths.lastCheckpoint() : paths.interruptedCheckpoint()) +
                             "); pass --resume to continue it, or choose another output folder");

  // SWFC's class weights come from the dialogues actually trained on (MultiEMO counts the
  // labels of its training loader, which excludes the held-out validation dialogues).
  model.classCounts = classCountsOf(corpus, trainIds, model.numClasses);
  if (!model.maskPadding && tc.microBatch > 0)
    throw std::invalid_argument("micro-batches give the whole batch's gradient only with padding masked (unmasked: micro-batch 0)");
  if (tc.selectOn != "val" && tc.selectOn != "test")
    throw std::invalid_argument("--select-on must be 'val' or 'test', not '" + tc.selectOn + "'");

  torch::manual_seed(tc.seed);
  Net net(model);
  net->to(device);
  const auto optimizer = makeOptimizer(net, tc);
  torch::optim::Adam& opt = *optimizer;
  const auto classWeights = swfcClassWeightsFor(model);
  TrainerState st;
  st.lr = tc.lr;
  int startEpoch = 1;
  if (resume && haveLast) {
    const CheckpointMeta meta = readCheckpointMeta(paths.lastCheckpoint());
    checkResumable(meta, model, tc, corpus, paths.lastCheckpoint());
    loadCheckpoint(paths.lastCheckpoint(), net, &opt);
    primeGradients(net, opt);
    st.fromJson(meta.stateJson);
    setLearningRate(opt, st.lr, tc.speakerLrScale);
    startEpoch = meta.epoch + 1;
    settlePendingBest(paths, st.bestEpoch, progress);
    progress.message("resuming " + runDir + " after epoch " + std::to_string(meta.epoch));
  }
  // An epoch interrupted between batches continues from its next batch, when it is the epoch
  // after last.pt's; any other interrupted.pt is stale (its epoch was finished since).
  PartialEpoch partial;
  if (resume && havePartial) {
    const std::string path = paths.interruptedCheckpoint();
    CheckpointMeta pm;
    try {
      pm = readCheckpointMeta(path);
      partial = PartialEpoch::fromJson(json::parse(pm.stateJson).at("partial"));
    } catch (const std::exception& e) {
      partial = PartialEpoch{};
      progress.message("dropped " + path + ": " + e.what());
    }
    if (partial.epoch == startEpoch) {
      checkResumable(pm, model, tc, corpus, path);
      loadCheckpoint(path, net, &opt);
      primeGradients(net, opt);
      st.fromJson(pm.stateJson);
      setLearningRate(opt, st.lr, tc.speakerLrScale);
      progress.message("resuming " + runDir + " in epoch " + std::to_string(partial.epoch) + ", after batch " +
                       std::to_string(partial.batchesDone) + " of " + std::to_string(partial.batches));
    } else {
      if (partial.epoch != 0)
        progress.message("dropped " + path + ": its epoch " + std::to_string(partial.epoch) + " is not the next one (" +
                         std::to_string(startEpoch) + ")");
      partial = PartialEpoch{};
    }
    if (partial.epoch == 0) fs::remove(path);
  }

  RunConfig cfg;
  cfg.model = model;
  cfg.train = tc;
  cfg.variant = model.variantName();
  cfg.corpusName = corpus.name;
  cfg.corpusDataset = corpus.dataset;
  cfg.corpusSignature = corpus.signature();
  cfg.corpusSource = tc.corpus;
  writeRunConfig(runDir, cfg);
  json val{{"source", drawn ? (tc.valDraw == "multiemo" ? "drawn from the training split as TrainMultiEMO.py draws it (numpy, seed 2023)"
                                                         : "drawn from the training split")
                            : "the corpus's dev split"},
           {"seed", tc.seed},
           {"fraction", drawn ? tc.valFraction : 0.0}, {"dialogues", devIds.size()}};
  json keys = json::array();
  for (int i : devIds) keys.push_back(corpus.dialogues[i].key);
  val["keys"] = std::move(keys);
  data::atomicWriteFile(paths.validation(), val.dump(1));

  CheckpointMeta meta;
  meta.model = model;
  meta.train = tc;
  meta.corpusSignature = corpus.signature();
  meta.corpusName = corpus.name;

  TrainResult result;
  // A finished run resumed with the same number of epochs: nothing to train, and its
  // predictions and metrics are already written.
  result.reused = startEpoch > tc.epochs && fs::exists(paths.metrics()) && fs::exists(paths.predictions());
  if (result.reused) progress.message(runDir + " is already finished (" + std::to_string(startEpoch - 1) + " epochs)");
  std::vector<bool> seenSpeakers(corpus.speakers.size(), false);
  for (int d : trainIds)
    for (const auto& u : corpus.dialogues[d].utterances) seenSpeakers[u.speaker] = true;
  for (int epoch = startEpoch; epoch <= tc.epochs; ++epoch) {
    if (progress.cancelled()) { result.cancelled = true; break; }
    auto t0 = std::chrono::steady_clock::now();
    const auto batches = epochBatches(trainIds, tc, epoch);
    net->train();
    double lossSum = 0, ceSum = 0, swfcSum = 0, hgrSum = 0, auxSum = 0;
    long lossCount = 0;
    std::size_t firstBatch = 0;
    if (partial.epoch == epoch) {
      if (partial.batches != static_cast<int>(batches.size()))
        throw CheckpointError(paths.interruptedCheckpoint() + ": its epoch has " + std::to_string(partial.batches) +
                              " batches, this one " + std::to_string(batches.size()));
      firstBatch = static_cast<std::size_t>(partial.batchesDone);
      lossSum = partial.lossSum, ceSum = partial.ceSum, swfcSum = partial.swfcSum, hgrSum = partial.hgrSum, auxSum = partial.auxSum;
      lossCount = partial.lossCount;
      t0 -= std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(partial.seconds));
      // Dropout continues from where it was (the single-batch path draws from the generator
      // seeded at the epoch's start).
      const torch::Tensor rng = readRngState(paths.interruptedCheckpoint());
      if (rng.defined()) {
        auto gen = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_state(rng);
      }
    }
    for (std::size_t bi = firstBatch; bi < batches.size(); ++bi) {
      if (progress.cancelled()) {
        result.cancelled = true;
        if (bi > firstBatch || partial.epoch == epoch) {
          // Stopped inside the epoch: keep its batches (interrupted.pt), so a preempted or
          // time-limited run loses nothing but the batch it was in.
          PartialEpoch p{epoch, static_cast<int>(bi), static_cast<int>(batches.size()), lossSum, ceSum, swfcSum, hgrSum, auxSum,
                         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), lossCount};
          json state = json::parse(st.toJson());
          state["partial"] = p.toJson();
          meta.epoch = epoch - 1;
          meta.stateJson = state.dump();
          {
            auto gen = at::detail::getDefaultCPUGenerator();
            std::lock_guard<std::mutex> lock(gen.mutex());
            meta.rngState = gen.get_state();
          }
          saveCheckpoint(paths.interruptedCheckpoint(), net, &opt, meta);
          meta.rngState = torch::Tensor();
          result.interruptedBatch = static_cast<int>(bi);
          progress.message("stopped in epoch " + std::to_string(epoch) + " after batch " + std::to_string(bi) + " of " +
                           std::to_string(batches.size()) + "; kept in " + paths.interruptedCheckpoint() + " (continue with --resume)");
        }
        break;
      }
      const StepResult step = trainStep(net, opt, corpus, batches[bi], model, classWeights, tc.microBatch, device,
                                        tc.seed * 1000003ULL + static_cast<std::uint64_t>(epoch) * 7919ULL + bi);
      if (step.labelled == 0) continue;
      const long labelled = step.labelled;
      const LossParts& parts = step.parts;
      const double loss = step.loss;
      if (!std::isfinite(loss))
        throw DivergedError("training diverged at epoch " + std::to_string(epoch) + ", batch " + std::to_string(bi + 1) +
                            ": the loss became " + (std::isnan(loss) ? "NaN" : "infinite") + " (CE " + std::to_string(parts.ce) +
                            ", SWFC " + std::to_string(parts.swfc) + ", Soft-HGR " + std::to_string(parts.hgr) +
                            "); the last good checkpoint is kept in " + paths.lastCheckpoint());
      opt.step();
      lossSum += loss * labelled;
      ceSum += parts.ce * labelled;
      swfcSum += parts.swfc * labelled;
      hgrSum += parts.hgr * labelled;
      auxSum += parts.aux * labelled;
      lossCount += labelled;
      progress.batch(epoch, static_cast<int>(bi + 1), static_cast<int>(batches.size()), loss);
    }
    if (result.cancelled) break;

    net->shareUnseenSpeakers(seenSpeakers);  // before evaluating and saving: test actors unseen in training
    const EvalResult val = evaluate(net, corpus, devIds, tc.batchSize, device, classWeights, false);
    const EvalResult test = testIds.empty() ? EvalResult{} : evaluate(net, corpus, testIds, tc.batchSize, device, classWeights, false);
    if (!std::isfinite(val.loss))
      throw DivergedError("training diverged at epoch " + std::to_string(epoch) + ": the validation loss is not finite; "
                          "the last good checkpoint is kept in " + paths.lastCheckpoint());
    EpochRecord rec;
    rec.epoch = epoch;
    rec.trainLoss = lossCount ? lossSum / lossCount : 0;
    rec.trainCE = lossCount ? ceSum / lossCount : 0;
    rec.trainSWFC = lossCount ? swfcSum / lossCount : 0;
    rec.trainHGR = lossCount ? hgrSum / lossCount : 0;
    rec.trainAux = lossCount ? auxSum / lossCount : 0;
    rec.valLoss = val.loss;
    rec.valWeightedF1 = val.gold.empty() ? 0 : 100 * analysis::weightedF1(val.gold, val.pred);
    rec.testWeightedF1 = test.gold.empty() ? 0 : 100 * analysis::weightedF1(test.gold, test.pred);
    rec.lr = st.lr;
    if (const double lr = st.plateau.step(val.loss, st.lr, tc); lr != st.lr) {
      st.lr = lr;
      setLearningRate(opt, st.lr, tc.speakerLrScale);
    }
    meta.epoch = epoch;
    // A new best goes to best.pt.pending first and replaces best.pt only once last.pt (whose
    // state names the best epoch) is safely written: best.pt never runs ahead of last.pt.
    // On validation: a strictly better F1. On test (MultiEMO's protocol): F1 rounded to 4 decimals
    // as MultiEMO rounds it, ties going to the later epoch.
    const auto r4 = [](double v) { return std::round(v * 1e4) / 1e4; };
    const bool improved = tc.selectOn == "test" ? (st.bestEpoch == 0 || r4(rec.testWeightedF1) >= r4(st.testAtBest))
                                                : rec.valWeightedF1 > st.bestValF1;
    if (improved) {
      st.bestValF1 = rec.valWeightedF1;
      st.bestEpoch = epoch;
      st.testAtBest = rec.testWeightedF1;
      saveCheckpoint(paths.pendingBestCheckpoint(), net, nullptr, meta);
    }
    if (rec.testWeightedF1 > st.bestTestF1) { st.bestTestF1 = rec.testWeightedF1; st.bestTestEpoch = epoch; }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    st.curve.push_back(rec);
    meta.stateJson = st.toJson();
    saveCheckpoint(paths.lastCheckpoint(), net, &opt, meta);
    if (improved) fs::rename(paths.pendingBestCheckpoint(), paths.bestCheckpoint());
    if (partial.epoch != 0) {
      fs::remove(paths.interruptedCheckpoint());  // its epoch is in last.pt now
      partial = PartialEpoch{};
    }
    data::atomicWriteFile(paths.curves(), curvesCsv(st.curve));
    progress.epoch(rec, tc.epochs);
  }

  result.curve = st.curve;
  result.epochsDone = st.curve.empty() ? 0 : st.curve.back().epoch;
  result.bestEpoch = st.bestEpoch;
  result.valWeightedF1 = st.bestValF1;
  result.testWeightedF1 = st.testAtBest;
  result.bestTestEpoch = st.bestTestEpoch;
  result.bestTestWeightedF1 = st.bestTestF1;
  if (!result.cancelled && !result.reused && st.bestEpoch > 0) {
    progress.message("writing predictions of the epoch-" + std::to_string(st.bestEpoch) + " model");
    Model best = Model::load(paths.bestCheckpoint(), tc.device);
    std::vector<int> all(corpus.dialogues.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
    const Inference inf = best.infer(corpus, all, tc.batchSize);
    writePredictions(paths.predictions(), corpus, inf);
    json m = evaluationJson(corpus, inf, data::Split::Test);
    m["variant"] = model.variantName();
    m["selection"] = tc.selectOn == "test" ? "test weighted F1 (MultiEMO's protocol: optimistic)" : "validation weighted F1";
    m["best_epoch"] = st.bestEpoch;
    m["epochs_done"] = result.epochsDone;
    m["val_weighted_f1"] = st.bestValF1;
    m["best_on_test"] = {{"epoch", st.bestTestEpoch}, {"weighted_f1", st.bestTestF1},
                         {"note", "epoch chosen on the test set (MultiEMO's protocol): optimistic, for comparison only"}};
    data::atomicWriteFile(paths.metrics(), m.dump(2));
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace mlsan::model
