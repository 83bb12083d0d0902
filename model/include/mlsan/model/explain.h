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
#include "mlsan/model/run.h"

namespace mlsan::model {

struct RunExplanation {
  std::vector<UtteranceReliance> utterances;  ///< the split's utterances, in corpus order
  bool reused = false;     ///< read from RUN/explain/, nothing computed
  bool cancelled = false;  ///< the progress stopped it: nothing kept, nothing written
  std::string file;        ///< the CSV that holds them
  double seconds = 0;
};

/// The run's configuration, when it can be explained on `corpus`; else std::runtime_error naming the
/// run: not a run folder, not finished training (no metrics.json), or trained on another corpus
/// (signature). Reads nothing but config.json and writes nothing.
RunConfig explainableRun(const std::string& runDir, const data::Corpus& corpus);

/// The reliance of `split`'s utterances under `options`: the stored results when they were made by
/// the run's current best.pt on this corpus, else computed (and, with `store`, written). Throws
/// std::runtime_error naming the run and the reason when the run has not finished training (no
/// metrics.json: still training, or stopped), has no model, or `corpus` is not the corpus it was
/// trained on (missing data, changed since, or another corpus). A failure writes nothing.
RunExplanation explainRun(const std::string& runDir, const data::Corpus& corpus, data::Split split, const RelianceOptions& options,
                          Progress* progress = nullptr, bool store = true);

/// What the speaker gate does, per modality (model/README.md, "The gate"; `mlsan explain --gate`).
/// "Speakers" are those with at least 5 utterances in the split.
struct GateModalityDiagnosis {
  double meanGate = 0, meanGateSd = 0;  ///< the gate averaged over channels: mean and s.d. over utterances
  double meanGateSpeakerSd = 0;   ///< s.d. over speakers of each speaker's mean of that channel average
  double channelSpeakerSd = 0;    ///< per channel, the s.d. over speakers of their mean gate; averaged over channels
  double channelSd = 0;           ///< s.d. over channels of each channel's mean gate (all utterances)
  double gain = 0, gainSpeakerSd = 0;  ///< ||g * h|| / ||h||: mean, and s.d. over speakers of their means
  double used = 0, usedSpeakerSd = 0;  ///< the use-weighted gate: mean, and s.d. over speakers of their means
};
struct GateDiagnosis {
  bool hasGate = false;
  std::string form;                ///< ModelConfig::gateForm
  int utterances = 0, speakers = 0, channels = 0;
  GateModalityDiagnosis audio, visual;
  double shareSpeakerSd = 0;       ///< s.d. over speakers of their mean normalised share (weightAudio)
  /// Interventions at inference: every gate replaced by its channel's mean over all utterances (the
  /// speaker dependence removed), then by 1 (no gate): the share of predictions that change and
  /// the mean |change| of the log-probability of the original prediction.
  double flipSpeakerless = 0, logpChangeSpeakerless = 0;
  double flipNoGate = 0, logpChangeNoGate = 0;
};
/// Throws as explainRun for an unfinished run or another corpus; hasGate false for a model without a gate.
GateDiagnosis diagnoseGateRun(const std::string& runDir, const data::Corpus& corpus, data::Split split);
nlohmann::json gateDiagnosisJson(const GateDiagnosis& d);

}  // namespace mlsan::model
