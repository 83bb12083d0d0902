// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A trained run as the studio shows it: its per-utterance predictions, probabilities and gates
// (predictions.csv) mapped onto the rows of the open corpus, and its headline figures
// (config.json, metrics.json). Read without torch: browsing needs no model in memory.
// load() may run on any thread; a loaded RunData is immutable and shared read-only.
#include <QString>
#include <memory>
#include <stdexcept>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/model/reliance.h"

namespace mlsan::ui {

struct RunData {
  QString dir;
  QString name;        ///< what the views call it: "ML-SAN", "MultiEMO", "ML-SAN w/o Gate", ...
  QString variant;     ///< "mlsan" or "multiemo"
  bool hasGate = false;
  int numClasses = 0;
  double testWeightedF1 = -1;  ///< of the validation-selected epoch, percent (-1 unknown)
  std::vector<int> prediction;           ///< per corpus row, -1 when the run has none for it
  std::vector<float> probabilities;      ///< [rows x numClasses]
  std::vector<float> gateAudio, gateVisual, weightAudio, weightVisual;  ///< per row; NaN without a gate
  std::vector<float> gainAudio, gainVisual, usedAudio, usedVisual;      ///< per row; NaN without a gate (or an older file)
  int covered = 0;                       ///< rows with a prediction
  /// Modality reliance (model/reliance.h: Shapley values of text, audio and visual, a removed
  /// modality replaced by random training utterances of the same speaker in the whole dialogue,
  /// the default baseline), per row: NaN where not
  /// measured. interaction: -1 not measured, else model::Interaction; dominant: the deciding
  /// modality under dominance, else -1.
  std::vector<float> relianceText, relianceAudio, relianceVisual;  ///< signed shares phi / sum |phi|
  std::vector<float> shapleyText, shapleyAudio, shapleyVisual;     ///< signed Shapley values (nats)
  std::vector<std::int8_t> interaction, dominant;
  int relianceRows = 0;                  ///< rows measured
  bool hasReliance() const { return relianceRows > 0; }
  /// Whether every split with a prediction is measured (nothing left for the reliance job).
  bool relianceComplete = false;
  /// Other seeds of the same configuration (loaded from a folder of runs, e.g. an ablation's
  /// `full/` with seed1/, seed2/, ...): the analysis views show mean +- std over all of them.
  std::vector<std::shared_ptr<const RunData>> seeds;

  bool has(std::size_t row) const { return row < prediction.size() && prediction[row] >= 0; }
  const float* probs(std::size_t row) const { return probabilities.data() + row * static_cast<std::size_t>(numClasses); }

  /// Loads `dir` for `corpus`. Throws std::runtime_error naming the file and the problem (not a
  /// run, trained on another corpus, predictions that do not fit the corpus).
  static std::shared_ptr<const RunData> load(const QString& dir, const data::Corpus& corpus);
  /// As load(), and when `dir` is not a run but holds runs (sub-folders with a config.json, in
  /// name order), loads them all: the first is returned, the others become its `seeds`. They
  /// must share one configuration (else std::runtime_error naming the odd one).
  static std::shared_ptr<const RunData> loadWithSeeds(const QString& dir, const data::Corpus& corpus);
  /// A copy of this run with `utterances`' reliance set on their rows.
  std::shared_ptr<const RunData> withReliance(const data::Corpus& corpus,
                                              const std::vector<model::UtteranceReliance>& utterances, bool complete) const;
  /// Sets `utterances`' reliance on their rows (load() and withReliance()).
  void setReliance(const data::Corpus& corpus, const std::vector<model::UtteranceReliance>& utterances);
};

/// The reliance options of the studio: mlsan explain's defaults (interventional baseline, whole
/// dialogue) with the draws of StudioOptions::relianceDraws. RunData::load reads stored results
/// made with them, and RelianceJob measures with them. Set by MainWindow on the GUI thread before
/// any worker starts.
const model::RelianceOptions& studioRelianceOptions();
void setStudioRelianceDraws(int draws);

/// A human name for a run's configuration ("ML-SAN", "ML-SAN w/o FiLM", "MultiEMO").
QString runDisplayName(const QString& variant, bool film, bool gate, bool aux);

}  // namespace mlsan::ui
