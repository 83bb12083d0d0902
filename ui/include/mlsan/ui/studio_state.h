// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// What every view of the studio shares: the open corpus, the loaded runs (up to two: typically
// ML-SAN and MultiEMO), the current utterance and the browser's filter. Views read it and
// react to its signals; none of them talks to another. GUI thread only.
#include <QObject>
#include <QString>
#include <memory>
#include <vector>

#include "mlsan/data/corpus.h"
#include "mlsan/data/episodes.h"
#include "mlsan/ui/run_data.h"

namespace mlsan::ui {

class DemoClipCache;

/// The browser's filter. Predicted-emotion and misclassified use the primary run (the first
/// loaded run with a gate, else the first run); disagreement needs two runs.
struct UtteranceFilter {
  int speaker = -1;          ///< speaker id, -1 any
  int gold = -1;             ///< gold label id, -1 any
  int predicted = -1;        ///< primary run's prediction, -1 any
  bool misclassified = false;
  bool disagree = false;     ///< the two loaded runs predict differently
  QString text;              ///< case-insensitive substring of transcript or speaker name
  /// The reliance run's interaction (StudioState::relianceRun): -1 any; kDominanceText,
  /// kDominanceAudio, kDominanceVisual (dominance by that modality), kComplement, kConflict,
  /// kAdditive, kWeak (model::Interaction).
  int interaction = -1;
  enum { kDominanceText = 0, kDominanceAudio = 1, kDominanceVisual = 2, kComplement = 3, kConflict = 4, kAdditive = 5, kWeak = 6 };
  bool isEmpty() const {
    return speaker < 0 && gold < 0 && predicted < 0 && !misclassified && !disagree && text.isEmpty() && interaction < 0;
  }
  bool operator==(const UtteranceFilter& o) const {
    return speaker == o.speaker && gold == o.gold && predicted == o.predicted && misclassified == o.misclassified &&
           disagree == o.disagree && text == o.text && interaction == o.interaction;
  }
};

class StudioState : public QObject {
  Q_OBJECT
 public:
  explicit StudioState(QObject* parent = nullptr);
  ~StudioState() override;

  // --- corpus
  const std::shared_ptr<const data::Corpus>& corpus() const { return corpus_; }
  bool hasCorpus() const { return corpus_ != nullptr; }
  /// The text form of the source it was opened from ("demo", a path, ...).
  const QString& corpusSource() const { return source_; }
  /// Replaces the corpus; drops the runs (they belong to the old one) and the current utterance.
  void setCorpus(std::shared_ptr<const data::Corpus> corpus, const QString& source,
                 std::shared_ptr<const DemoClipCache> demoClips = nullptr);
  /// The corpus's episodes (data::episodesOf), found once when it is set.
  const std::vector<data::Episode>& episodes() const { return episodes_; }
  /// Rendered clips for the demo corpus (null for other corpora).
  const std::shared_ptr<const DemoClipCache>& demoClips() const { return demoClips_; }

  // --- runs
  const std::vector<std::shared_ptr<const RunData>>& runs() const { return runs_; }
  /// Adds a run: replaces a loaded run from the same folder, else the one of the same name,
  /// else the older of two.
  void addRun(std::shared_ptr<const RunData> run);
  void clearRuns();
  /// The first run with a gate, else the first run, else null.
  const RunData* primaryRun() const;
  /// The run whose measured reliance the views show: the primary run when it has reliance, else
  /// the first run that has, else null.
  const RunData* relianceRun() const;

  // --- current utterance
  int currentDialogue() const { return dialogue_; }
  int currentUtterance() const { return utterance_; }
  /// Corpus row of the current utterance, -1 when none.
  long currentRow() const;
  /// Selects an utterance (ignored when out of range). Emits currentChanged when it changes.
  void setCurrent(int dialogue, int utterance);
  /// Moves to the next (+1) or previous (-1) utterance that passes the filter, across
  /// dialogues. False at either end.
  bool step(int delta);
  /// Moves to the first passing utterance of the next or previous dialogue.
  bool stepDialogue(int delta);
  /// Episode mode: the playhead is between utterances. The current utterance stays the last
  /// one spoken (so the views keep their place) and every view says that nobody is speaking.
  /// Cleared by setCurrent. Emits speakingChanged when it changes.
  bool nobodySpeaking() const { return nobodySpeaking_; }
  void setNobodySpeaking(bool nobody);

  // --- filter
  const UtteranceFilter& filter() const { return filter_; }
  void setFilter(const UtteranceFilter& filter);
  bool accepts(int dialogue, int utterance) const;
  /// Rows passing the filter, in corpus order.
  std::vector<std::size_t> filteredRows() const;

 signals:
  void corpusChanged();
  void runsChanged();
  void currentChanged(int dialogue, int utterance);
  /// nobody: the playhead of an episode is between utterances.
  void speakingChanged(bool nobody);
  void filterChanged();

 private:
  std::shared_ptr<const data::Corpus> corpus_;
  std::shared_ptr<const DemoClipCache> demoClips_;
  std::vector<data::Episode> episodes_;
  QString source_;
  std::vector<std::shared_ptr<const RunData>> runs_;
  std::vector<std::shared_ptr<const RunData>> loadOrder_;  ///< runs_ in the order they were loaded
  int dialogue_ = -1, utterance_ = -1;
  bool nobodySpeaking_ = false;
  UtteranceFilter filter_;
  std::vector<QString> lowerText_;  ///< per row: transcript and speaker, lower case (for search)
};

}  // namespace mlsan::ui
