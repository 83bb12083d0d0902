// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The gate timeline (the paper's Fig. 3, interactive): over the current dialogue, x is the
// utterance and y ML-SAN's audio and visual weights (normalised shares, the raw mean gates or the
// gates' gain), or any run's measured modality reliance (text, audio, visual),
// points coloured by speaker, a cursor on the current utterance that follows stepping and
// playback, tooltips with the numbers, click to jump. With only a MultiEMO run (no gate), it
// says so instead of drawing nothing. GUI thread only.
#include <QWidget>
#include <vector>

class QChartView;
class QComboBox;
class QValueAxis;
class QLabel;
class QStackedWidget;

namespace mlsan::ui {

class StudioState;
class GateChartView;

/// "audio dominates", "complement", "conflict" or "not measured" (RunData::interaction, dominant).
QString interactionText(int interaction, int dominant);

class GateTimeline : public QWidget {
  Q_OBJECT
 public:
  explicit GateTimeline(StudioState& state, QWidget* parent = nullptr);
  /// Weights: the normalised share of the mean gates; RawGates: the mean gates; Gain: the gate's
  /// gain on the features, ||g * h|| / ||h||; Used: the gate weighted by each channel's downstream
  /// use; Reliance: the measured modality reliance (Shapley shares of text, audio and visual), for
  /// any run, MultiEMO too.
  enum class Mode { Weights, RawGates, Gain, Used, Reliance };
  void setMode(Mode mode);
  Mode mode() const { return mode_; }
  /// What the view shows instead of a chart ("" when the chart is shown).
  QString message() const;
  /// The number of utterances plotted (for tests).
  int plottedPoints() const { return plotted_; }
  /// The x of the cursor (1-based utterance), 0 when hidden.
  double cursorX() const;
  /// The chart's view (clicks on it select utterances).
  QChartView* chartView() const;

 signals:
  void modeChanged(mlsan::ui::GateTimeline::Mode mode);

 private:
  void rebuild();        // new dialogue, run or mode
  void moveCursor();     // new utterance in the same dialogue

  StudioState& state_;
  Mode mode_ = Mode::Weights;
  QComboBox* modeBox_ = nullptr;
  QStackedWidget* stack_ = nullptr;
  QLabel* message_ = nullptr;
  GateChartView* view_ = nullptr;
  QValueAxis *ax_ = nullptr, *ay_ = nullptr;
  int shownDialogue_ = -1;
  int plotted_ = 0;
};

}  // namespace mlsan::ui
