// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A run directory and its files, readable without torch:
//   config.json        model + training configuration, corpus name/signature/source, variant
//   validation.json    which dialogues validated the run: the corpus's dev split, or the keys
//                      drawn from the training split by seed when the corpus has none
//   curves.csv         per-epoch losses, validation/test weighted F1, learning rate, seconds
//   metrics.json       test metrics of the validation-selected epoch (+ the best-on-test figure)
//   predictions.csv    per utterance: gold, prediction, probabilities, gates and weights
//   checkpoints/last.pt (model + optimizer + state, for --resume), checkpoints/interrupted.pt
//   (an epoch stopped between batches, for --resume), checkpoints/best.pt (the
//   validation-selected epoch; never ahead of last.pt: a new best waits in best.pt.pending
//   until last.pt is written, and --resume completes or drops a pending one)
// All files are written atomically. This is the one owner of the format: the trainer writes
// through it, and the command line, the experiments library and the studio read through it.
// Torch-free (library mlsan_model_io). Any thread.
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
#include "mlsan/model/progress.h"

namespace mlsan::model {

class RunPaths {
 public:
  explicit RunPaths(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/config.json"; }
  std::string curves() const { return dir_ + "/curves.csv"; }
  std::string validation() const { return dir_ + "/validation.json"; }
  std::string metrics() const { return dir_ + "/metrics.json"; }
  std::string predictions() const { return dir_ + "/predictions.csv"; }
  std::string checkpoints() const { return dir_ + "/checkpoints"; }
  std::string lastCheckpoint() const { return dir_ + "/checkpoints/last.pt"; }
  std::string bestCheckpoint() const { return dir_ + "/checkpoints/best.pt"; }
  /// A new best epoch's checkpoint until last.pt of that epoch is written (then renamed best.pt).
  std::string pendingBestCheckpoint() const { return dir_ + "/checkpoints/best.pt.pending"; }
  /// An epoch stopped between two batches (SIGTERM, a cluster's preemption warning): the
  /// weights, optimizer and loss sums after its last batch, so --resume carries on from the
  /// next batch. Removed once that epoch is in last.pt.
  std::string interruptedCheckpoint() const { return dir_ + "/checkpoints/interrupted.pt"; }

 private:
  std::string dir_;
};

/// config.json read back: how a run was trained, and on which corpus.
struct RunConfig {
  ModelConfig model;
  TrainConfig train;
  std::string variant;  ///< ModelConfig::variantName() at training time: "mlsan", "no_film", ..., "multiemo"
  std::string corpusName, corpusDataset, corpusSignature;
  std::string corpusSource;  ///< as given to `mlsan train --corpus` (lets eval and the studio reopen it)
  /// Empty for a run trained by this engine; "python-multiemo" for a model trained in Python
  /// by MultiEMO's own code and imported (`mlsan import-multiemo`).
  std::string origin;
  nlohmann::json toJson() const;
};
/// Throws std::runtime_error naming config.json: missing, not JSON, or without a field the
/// trainer writes.
RunConfig readRunConfig(const std::string& runDir);
void writeRunConfig(const std::string& runDir, const RunConfig& config);

/// The corpus source a run was trained on (config.json's corpus.source), needing nothing else
/// of the file. Throws std::runtime_error naming config.json when it cannot be read.
std::string runCorpusSource(const std::string& runDir);

/// curves.csv: one record per completed epoch, in order.
std::string curvesCsv(const std::vector<EpochRecord>& curve);
/// Throws std::runtime_error naming the file and line (a missing column, a field that is not a
/// number).
std::vector<EpochRecord> readCurves(const std::string& path);

/// Two configurations' training curves epoch by epoch (`mlsan compare`, the Training panel's
/// overlay). A side is one run or several (seeds); an epoch is shown while every run of both
/// sides has it. Values are means over a side's runs.
struct EpochGap {
  int epoch = 0;
  double testA = 0, testB = 0;  ///< test weighted F1, percent
  double valA = 0, valB = 0;    ///< validation weighted F1, percent
  double ceA = 0, ceB = 0;      ///< training CE (0 in curves from before the column)
  double gap = 0;               ///< test F1 B - A: the mean of the per-seed gaps when paired
  double gapSd = 0;             ///< s.d. of the per-seed gaps (paired, 2 or more seeds), else 0
  bool paired = false;          ///< both sides have the same number of runs, paired in order
};
std::vector<EpochGap> epochGaps(const std::vector<std::vector<EpochRecord>>& a, const std::vector<std::vector<EpochRecord>>& b);

/// Whether `dir` is a run folder (holds config.json).
bool isRunFolder(const std::string& dir);
/// The runs a path stands for: the folder itself when it is a run, else its sub-folders that
/// are runs (the seeds of one configuration, e.g. an ablation's full/seed1, seed2...), in name
/// order; empty when neither.
std::vector<std::string> runFoldersIn(const std::string& path);
/// Every run folder at any depth under `root`, sorted by path; empty when root does not exist.
std::vector<std::string> findRuns(const std::string& root);

/// metrics.json's test weighted F1 (percent, of the validation-selected epoch). Throws
/// std::runtime_error naming the file when it is missing, not JSON, or has no finite weighted_f1.
double readTestWeightedF1(const std::string& runDir);

/// What a list of runs shows of one, read without torch. Never throws: `problem` says what
/// could not be read.
struct RunSummary {
  std::string dir;
  std::string variant;
  int epochsDone = 0;   ///< records in curves.csv
  int epochs = 0;       ///< asked for
  bool finished = false;  ///< metrics.json is there
  double testWeightedF1 = 0;  ///< of the validation-selected epoch, percent (when finished)
  std::string problem;
};
RunSummary summariseRun(const std::string& runDir);

/// One row of predictions.csv.
struct PredictionRow {
  std::string dialogue;   ///< dialogue key
  data::Split split = data::Split::Test;
  int index = 0;          ///< position within the dialogue
  std::string speaker;
  int label = -1, prediction = -1;
  std::vector<float> probabilities;
  float gateAudio = 0, gateVisual = 0, weightAudio = 0, weightVisual = 0;  ///< NaN without a gate
  float gainAudio = 0, gainVisual = 0, usedAudio = 0, usedVisual = 0;      ///< NaN without a gate or in an older file
};

void writePredictions(const std::string& path, const data::Corpus& corpus, const Inference& inference);
/// Throws std::runtime_error naming the file and line.
std::vector<PredictionRow> readPredictions(const std::string& path, std::vector<std::string>* labelNames = nullptr);

/// Several runs' predictions on the labelled utterances of one split, aligned by (dialogue,
/// utterance): the utterances are the first run's, in its order.
struct AlignedPredictions {
  std::vector<std::string> labels;
  std::vector<std::pair<std::string, int>> keys;  ///< (dialogue, utterance)
  std::vector<int> gold;
  std::vector<std::vector<int>> predictions;      ///< per run, aligned with gold
};
/// Reads each run's predictions.csv. Throws std::runtime_error naming the run when the first has
/// no labelled utterance in `split`, the label sets differ, a run lacks one of the first run's
/// utterances, or two runs disagree on a gold label (trained on different corpora).
AlignedPredictions alignPredictions(const std::vector<std::string>& runDirs, data::Split split = data::Split::Test);

/// The evaluation object of `mlsan eval --json`: weighted_f1, accuracy, per_class_f1, labels,
/// confusion (rows = true labels), F1 as percentages, over the utterances of one split.
nlohmann::json evaluationJson(const std::vector<int>& gold, const std::vector<int>& pred,
                              const std::vector<std::string>& labelNames);
nlohmann::json evaluationJson(const data::Corpus& corpus, const Inference& inference, data::Split split);

}  // namespace mlsan::model
