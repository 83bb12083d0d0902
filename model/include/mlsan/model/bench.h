// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Engine benchmarks (for `mlsan bench`): measured, never asserted. Torch-free header.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/config.h"

namespace mlsan::model {

struct PhaseTime {
  std::string name;
  double seconds = 0;
};

struct TrainBench {
  double epochSeconds = 0;        ///< one pass over the train split: forward, loss, backward, step
  int batches = 0;
  long utterances = 0;
  std::vector<PhaseTime> phases;  ///< where the time went
  double estimatedGflop = 0;      ///< rough arithmetic count of the epoch (forward + backward)
};

struct InferBench {
  double seconds = 0;
  long utterances = 0;
};

struct ExplainBench {
  double inferSeconds = 0;    ///< plain inference over the test split (best of the repeats)
  double explainSeconds = 0;  ///< modality reliance over the same split (best of the repeats)
  long utterances = 0;
};

/// Trains `epochs` epochs (the first is timed separately as warm-up when epochs > 1) and
/// reports the last one.
TrainBench benchTrain(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& train, int epochs);
/// Inference (eval mode, no grad) over the test split, `repeats` times; reports the best.
InferBench benchInfer(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& train, int repeats);
/// Plain inference and modality reliance (`scope` "dialogue" or "utterance") over the test split.
ExplainBench benchExplain(const data::Corpus& corpus, const ModelConfig& model, const TrainConfig& train, const std::string& scope,
                          int repeats);

}  // namespace mlsan::model
