// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A run's modality reliance (reliance.h), computed once with the run's selected model and kept in
// the run folder (RUN/explain/); `mlsan explain` and the studio both come here. Torch-free header
// (the work is in mlsan_model). One thread at a time per run folder.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/progress.h"
#include "mlsan/model/reliance.h"

namespace mlsan::model {

struct RunExplanation {
  std::vector<UtteranceReliance> utterances;  ///< the split's utterances, in corpus order
  bool reused = false;     ///< read from RUN/explain/, nothing computed
  bool cancelled = false;  ///< the progress stopped it: nothing kept, nothing written
  std::string file;        ///< the CSV that holds them
  double seconds = 0;
};

/// The reliance of `split`'s utterances under `options`: the stored results when they were made by
/// the run's current best.pt on this corpus, else computed (and, with `store`, written). Throws
/// std::runtime_error naming the run and the reason when the run has not finished training (no
/// metrics.json: still training, or stopped), has no model, or `corpus` is not the corpus it was
/// trained on (missing data, changed since, or another corpus). A failure writes nothing.
RunExplanation explainRun(const std::string& runDir, const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                          Progress* progress = nullptr, bool store = true);

}  // namespace mlsan::model
