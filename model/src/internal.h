// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal (torch) - batching, evaluation and checkpoints shared by the trainer and Model.
#include <torch/torch.h>

#include <limits>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/engine.h"
#include "losses.h"
#include "net.h"

namespace mlsan::model {

/// Pads the given dialogues into one time-major batch on the CPU.
Batch makeBatch(const data::Corpus& corpus, const std::vector<int>& dialogues);

/// Splits dialogue indices into consecutive batches of at most `size`.
std::vector<std::vector<int>> chunk(const std::vector<int>& items, int size);

/// The batches evaluation runs: consecutive dialogues, at most `batchSize`, never straddling two
/// splits (unmasked, MultiEMO's code, a dialogue's outputs depend on its batch, and MultiEMO's
/// test loader batches the test dialogues in order from the first).
std::vector<std::vector<int>> evaluationBatches(const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize);

/// Per channel of the gated audio and visual features, the squared norm of its columns in the first
/// fusion layer's projections that read them (query of its own stack, keys and values of the
/// others): the weights of the "used" gate readout. [d] each.
std::pair<torch::Tensor, torch::Tensor> gateChannelUse(Net& net);
/// The gate readouts per position, over the last (channel) dimension: the gain ||g * h|| / ||h||
/// and the use-weighted gate sum_c w_c g_c / sum_c w_c (w from gateChannelUse).
torch::Tensor gateGain(const torch::Tensor& gate, const torch::Tensor& features);
torch::Tensor gateUsed(const torch::Tensor& gate, const torch::Tensor& channelUse);

/// Evaluation over dialogues in eval mode without gradients.
struct EvalResult {
  double loss = 0;               ///< the mean of the batches' losses (MultiEMO sums them: the same to the plateau's relative threshold)
  std::vector<int> gold, pred;   ///< labelled utterances only, in order
  Inference details;             ///< filled when requested
};
EvalResult evaluate(Net& net, const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize,
                    const torch::Device& device, const torch::Tensor& classWeights, bool details,
                    Progress* progress = nullptr);

/// Everything a checkpoint holds besides tensors.
struct CheckpointMeta {
  ModelConfig model;
  TrainConfig train;
  std::string corpusSignature;
  std::string corpusName;
  int epoch = 0;          ///< epochs completed
  std::string stateJson;  ///< trainer state: scheduler, best so far, curve
  /// The CPU random generator's state (dropout), saved with an epoch stopped between batches so
  /// the rest of the epoch draws what it would have drawn; undefined otherwise.
  torch::Tensor rngState;
};

/// Writes model (+ optimizer when given) + meta to `path` atomically.
void saveCheckpoint(const std::string& path, Net& net, torch::optim::Optimizer* optimizer, const CheckpointMeta& meta);
/// Reads the meta only. Throws CheckpointError naming the file.
CheckpointMeta readCheckpointMeta(const std::string& path);
/// Loads weights (and optimizer state when given) into a net built from the checkpoint's
/// own config. Throws CheckpointError naming the file.
void loadCheckpoint(const std::string& path, Net& net, torch::optim::Optimizer* optimizer);
/// The random generator state saved in a checkpoint (CheckpointMeta::rngState), undefined when
/// it holds none. Throws CheckpointError naming the file.
torch::Tensor readRngState(const std::string& path);

torch::Device parseDevice(const std::string& device);

/// Modality reliance of `net` (Model::explain's work; bench and tests call it on a bare net).
std::vector<UtteranceReliance> explainNet(Net& net, const torch::Device& device, const data::Corpus& corpus,
                                           const std::vector<int>& dialogues, const RelianceOptions& options, int batchSize,
                                           Progress* progress = nullptr, bool* cancelled = nullptr);

/// A loaded model's state (Model's pimpl), for the model/ sources that extend Model.
struct Model::Impl {
  Net net{nullptr};
  CheckpointMeta meta;
  torch::Device device{torch::kCPU};
  torch::Tensor classWeights;
};

/// Whether a parameter (by its name in the network) is one of ML-SAN's speaker-level ones: the
/// speaker embedding, FiLM, the gate, the speaker head.
bool isSpeakerLevelParameter(const std::string& name);
/// Adam over the network; with TrainConfig::speakerLrScale other than 1, ML-SAN's speaker-level
/// parameters (speaker embedding, FiLM, gate, speaker head) form a second group at lr * scale.
std::unique_ptr<torch::optim::Adam> makeOptimizer(Net& net, const TrainConfig& tc);
/// Sets group 0's lr to `lr` and group 1's (if any) to `lr * scale`.
void setLearningRate(torch::optim::Adam& opt, double lr, double scale);

/// PyTorch's ReduceLROnPlateau as MultiEMO uses it: mode "min", relative threshold, no cooldown,
/// eps 1e-8; factor, patience and threshold from the TrainConfig.
struct Plateau {
  double best = std::numeric_limits<double>::infinity();
  int bad = 0;
  /// The learning rate after an epoch whose monitored value is `value`.
  double step(double value, double lr, const TrainConfig& tc);
};

/// Label counts of the given dialogues (SWFC's class weights are made from the training ones).
std::vector<double> classCountsOf(const data::Corpus& corpus, const std::vector<int>& dialogues, int numClasses);

/// MultiEMO's validation protocol for a corpus with no dev split: moves int(fraction * n)
/// training dialogues (at least one, never all), drawn by seed, into `val`. Both sorted.
/// `draw` "multiemo": the dialogues TrainMultiEMO.py holds out (numpy.random.seed(2023), then
/// numpy.random.shuffle of the positions 0..n-1 of `train` in the order given: the first ones).
void drawValidation(std::vector<int>& train, std::vector<int>& val, double fraction, std::uint64_t seed,
                    const std::string& draw = "seed");
/// numpy's legacy RandomState(seed).shuffle of 0..n-1 (MT19937, masked rejection sampling).
std::vector<int> numpyLegacyShuffle(int n, std::uint32_t seed);

/// The batches of training epoch `epoch` (1-based): the training dialogues shuffled by (seed,
/// epoch), cut into batches of tc.batchSize; also seeds torch's generator for the epoch's dropout.
/// Every epoch's randomness derives from (seed, epoch) only, so a resumed run continues exactly.
std::vector<std::vector<int>> epochBatches(const std::vector<int>& trainIds, const TrainConfig& tc, int epoch);

/// One optimisation step's gradient (zeroes, then accumulates the gradient; the caller calls
/// step()): the objective of dialogues `ids` as one batch, computed in micro-batches of
/// `microBatch` dialogues when > 0 (same objective and gradient, less memory). `rngSeed`
/// seeds dropout of the micro-batches. `loss` is the objective's value (not finite: no gradient).
struct StepResult {
  long labelled = 0;
  double loss = 0;
  LossParts parts;
  double auxScale = 1;  ///< the factor on the aux gradient into fc (ModelConfig::auxGradient "balanced"), else 1
};
StepResult trainStep(Net& net, torch::optim::Optimizer& opt, const data::Corpus& corpus, const std::vector<int>& ids,
                     const ModelConfig& model, const torch::Tensor& classWeights, int microBatch,
                     const torch::Device& device, std::uint64_t rngSeed);

}  // namespace mlsan::model
