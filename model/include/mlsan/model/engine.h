// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The engine's public face: train a model into a run directory, load a trained model, and run
// inference. No torch in this header: the studio and the command line include it freely.
// A Model is owned by one thread at a time; train() runs on the calling thread.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/progress.h"
#include "mlsan/model/reliance.h"

namespace mlsan::model {

/// A problem with a checkpoint or run directory the user can act on (wrong corpus,
/// different configuration, corrupt file). The message names the file and what is wrong.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Training stopped because a loss or gradient became NaN or infinite.
class DivergedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TrainResult {
  bool cancelled = false;
  int epochsDone = 0;
  int bestEpoch = 0;              ///< selected on validation weighted F1
  double valWeightedF1 = 0;       ///< at bestEpoch, percent
  double testWeightedF1 = 0;      ///< at bestEpoch, percent: the figure to report
  int bestTestEpoch = 0;          ///< the epoch with the best test F1 (MultiEMO's selection)
  double bestTestWeightedF1 = 0;  ///< labelled "best on test": optimistic, for comparison only
  std::vector<EpochRecord> curve;
  double seconds = 0;
  bool reused = false;            ///< the run was already finished: nothing trained or rewritten
  /// Cancelled inside an epoch: the batches of epoch epochsDone + 1 done so far, kept in
  /// checkpoints/interrupted.pt for --resume; 0 when it stopped between epochs.
  int interruptedBatch = 0;
};

/// Fills numClasses, numSpeakers, dims and classCounts of `config` from the corpus.
void fitConfigToCorpus(ModelConfig& config, const data::Corpus& corpus);

/// Trains on the corpus's train split, validates on dev, reports test, and writes the run
/// directory (see docs in model/README.md). With `resume`, continues from runDir's last
/// checkpoint (the configuration and corpus must match; CheckpointError says what differs).
/// Throws DivergedError on NaN (the last good checkpoint is kept), std::runtime_error on I/O.
TrainResult train(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& train,
                  const std::string& runDir, bool resume, Progress& progress);

/// What inference returns per utterance. Gate fields are NaN for a model with no gate.
struct UtteranceOutput {
  std::size_t row = 0;            ///< row in the corpus feature matrices
  int dialogue = 0;               ///< index into corpus.dialogues
  int index = 0;                  ///< position within the dialogue
  int label = -1, prediction = -1;
  std::vector<float> probabilities;
  float gateAudio = 0, gateVisual = 0;     ///< mean gate per modality (mean over the d channels)
  /// gateAudio / (gateAudio + gateVisual) and its complement: the share of the mean gates, not
  /// what the gate does to the features (see gain and used below; model/README.md, "The gate").
  float weightAudio = 0, weightVisual = 0;
  /// The gate's gain on the features it scales: ||g * h|| / ||h|| over the d channels, h the
  /// modality's context features at this utterance (1 = unchanged).
  float gainAudio = 0, gainVisual = 0;
  /// The gate averaged over channels weighted by their downstream use: sum_c w_c g_c / sum_c w_c,
  /// w_c the squared norm of channel c's columns in the first fusion layer's projections that
  /// read the gated features (the query of its own stack, the keys and values of the others).
  float usedAudio = 0, usedVisual = 0;
};

struct Inference {
  std::vector<UtteranceOutput> utterances;
  int dimAudio = 0, dimVisual = 0, dimFused = 0;
  std::vector<float> filmAudio;   ///< [n x dimAudio], FiLM-calibrated audio (raw when no FiLM)
  std::vector<float> filmVisual;  ///< [n x dimVisual]
  std::vector<float> fused;       ///< [n x dimFused], the fc output
  int dimHidden = 0;              ///< the model's width d
  bool gate = false;              ///< the model has the speaker gate
  std::vector<float> projAudio, projVisual;    ///< [n x dimHidden] after the modality projection
  std::vector<float> gatedAudio, gatedVisual;  ///< [n x dimHidden] after the gate (the context features without one)
  bool cancelled = false;         ///< the progress asked to stop: only the batches before are here
};

/// A trained model, loaded from a checkpoint. Not thread-safe: one thread at a time.
class Model {
 public:
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  /// Loads model weights and configuration. Throws CheckpointError naming the file.
  static Model load(const std::string& checkpointPath, const std::string& device = "cpu");
  const ModelConfig& config() const;
  /// The corpus signature the model was trained on.
  const std::string& corpusSignature() const;
  /// Checks that the corpus fits the model (dims, labels, speakers); throws CheckpointError.
  void checkCorpus(const data::Corpus& corpus) const;
  /// Inference over the given dialogues (indices into corpus.dialogues), in batches of
  /// `batchSize` dialogues. `progress` hears of each batch (epoch 0) and can stop the work
  /// between batches (the result is then marked cancelled).
  Inference infer(const data::Corpus& corpus, const std::vector<int>& dialogues, int batchSize = 64,
                  Progress* progress = nullptr);
  /// Modality reliance (reliance.h) of every utterance of the given dialogues: the model run with
  /// each of the 8 subsets of modalities present, in the batches infer() uses (so the
  /// all-present prediction is infer()'s). Empty-handed (and `cancelled` set) when `progress`
  /// stops it. Throws std::invalid_argument for bad options, CheckpointError for a corpus that
  /// does not fit.
  std::vector<UtteranceReliance> explain(const data::Corpus& corpus, const std::vector<int>& dialogues,
                                         const RelianceOptions& options, int batchSize = 64, Progress* progress = nullptr,
                                         bool* cancelled = nullptr);

 private:
  struct Impl;
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Indices of the dialogues in a split.
std::vector<int> dialoguesOf(const data::Corpus& corpus, data::Split split);

/// True when this LibTorch build has CUDA and a GPU is visible.
bool cudaAvailable();

/// Sets torch's intra-op thread count (and inter-op once per process).
void setThreads(int threads);

}  // namespace mlsan::model
