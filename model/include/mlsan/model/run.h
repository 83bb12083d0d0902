// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A run directory and its files, readable without torch:
//   config.json        model + training configuration, corpus name/signature/source, variant
//   validation.json    which dialogues validated the run: the corpus's dev split, or the keys
//                      drawn from the training split by seed when the corpus has none
//   curves.csv         per-epoch losses, validation/test weighted F1, learning rate, seconds
//   metrics.json       test metrics of the validation-selected epoch (+ the best-on-test figure)
//   predictions.csv    per utterance: gold, prediction, probabilities, gates and weights
//   checkpoints/last.pt (model + optimizer + state, for --resume), checkpoints/best.pt
// All files are written atomically. Any thread.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/engine.h"

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

 private:
  std::string dir_;
};

/// The corpus source a run was trained on (config.json's corpus.source, as given to mlsan
/// train). Throws std::runtime_error naming config.json when it cannot be read.
std::string runCorpusSource(const std::string& runDir);

/// One row of predictions.csv.
struct PredictionRow {
  std::string dialogue;   ///< dialogue key
  data::Split split = data::Split::Test;
  int index = 0;          ///< position within the dialogue
  std::string speaker;
  int label = -1, prediction = -1;
  std::vector<float> probabilities;
  float gateAudio = 0, gateVisual = 0, weightAudio = 0, weightVisual = 0;  ///< NaN without a gate
};

void writePredictions(const std::string& path, const data::Corpus& corpus, const Inference& inference);
/// Throws std::runtime_error naming the file and line.
std::vector<PredictionRow> readPredictions(const std::string& path, std::vector<std::string>* labelNames = nullptr);

/// The evaluation object of `mlsan eval --json`: weighted_f1, accuracy, per_class_f1, labels,
/// confusion (rows = true labels), F1 as percentages, over the utterances of one split.
nlohmann::json evaluationJson(const std::vector<int>& gold, const std::vector<int>& pred,
                              const std::vector<std::string>& labelNames);
nlohmann::json evaluationJson(const data::Corpus& corpus, const Inference& inference, data::Split split);

}  // namespace mlsan::model
