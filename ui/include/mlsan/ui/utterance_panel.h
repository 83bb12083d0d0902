// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The current utterance: transcript, speaker, dialogue, time span, gold label, and for each
// loaded run its prediction (marked right or wrong) with the class probabilities as bars and,
// for ML-SAN, the audio/visual weights of its speaker gate. GUI thread only.
#include <QWidget>

#include "mlsan/ui/probability_bars.h"
#include <vector>

class QLabel;
class QVBoxLayout;

namespace mlsan::ui {

class StudioState;

class UtterancePanel : public QWidget {
  Q_OBJECT
 public:
  explicit UtterancePanel(StudioState& state, QWidget* parent = nullptr);
  /// The transcript shown (for tests).
  QString transcriptText() const;
  /// Whether it says that nobody is speaking (episode mode, between utterances).
  bool saysNobodySpeaking() const;

 private:
  void refresh();

  /// One loaded run's part of the panel; made once and reused (rebuilding widgets on every
  /// step cost more than everything else a step does).
  struct RunView {
    QWidget* box = nullptr;
    QLabel* head = nullptr;
    ProbabilityBars* bars = nullptr;
  };
  RunView& runView(std::size_t i);

  StudioState& state_;
  QLabel* nobody_ = nullptr;  ///< "Nobody is speaking" (episode mode, between utterances)
  QLabel* transcript_ = nullptr;
  QLabel *speaker_ = nullptr, *where_ = nullptr, *time_ = nullptr, *gold_ = nullptr;
  QLabel* noRun_ = nullptr;
  QVBoxLayout* runsLayout_ = nullptr;
  std::vector<RunView> runViews_;
};

}  // namespace mlsan::ui
