// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Opening a MultiEMO model trained in Python by the authors' code (TaoShi1998/MultiEMO): the
// file `torch.save(model.state_dict(), path)` writes (zip or legacy format, read without running
// any pickled code: data/torch_file.h) becomes a run folder that every view and `mlsan eval`,
// `compare` and `explain` open, with predictions computed by this engine. No torch here.
#include <string>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/config.h"

namespace mlsan::model {

struct ImportOptions {
  /// "meld" (unidirectional DialogueRNN on audio and visual) or "iemocap" (bidirectional, text
  /// too); empty: from the corpus's dataset (iemocap, else meld). The two forms have the same
  /// tensors, so the file cannot tell.
  std::string form;
  /// MultiEMO's own code does not mask padding, so by default neither does the imported model
  /// (its numbers are the ones Python printed); true evaluates it with padding masked.
  bool maskPadding = false;
  int batchSize = 0;            ///< 0: MultiEMO's for the form (100 MELD, 64 IEMOCAP)
  int threads = 2;
  std::string corpusSource;     ///< how the corpus was named (lets eval and the studio reopen it)
};

struct ImportResult {
  ModelConfig config;                    ///< as read off the tensors' shapes
  std::string format;                    ///< "zip" or "legacy"
  int tensors = 0;                       ///< MultiEMO tensors loaded
  std::vector<std::string> unused;       ///< MultiEMO tensors the form does not use (MELD: text DialogueRNN, backward RNNs)
  double testWeightedF1 = 0;             ///< percent, on the corpus's test split
  long testUtterances = 0;
};

/// The configuration a MultiEMO state_dict describes, for `corpus` (whose dims and label count
/// it must match). Throws std::runtime_error naming the file and the first problem.
ModelConfig multiEmoConfig(const std::string& statePath, const data::Corpus& corpus, const ImportOptions& options);

/// Reads the state_dict, maps MultiEMO's parameter names onto this engine's, checks every shape
/// (the error names the first mismatch), and writes a run folder `outDir` (config.json,
/// checkpoints/best.pt, predictions.csv and metrics.json). `outDir` must not hold a run. Nothing is
/// left behind when anything fails.
ImportResult importMultiEmo(const std::string& statePath, const data::Corpus& corpus, const std::string& outDir,
                            const ImportOptions& options);

}  // namespace mlsan::model
