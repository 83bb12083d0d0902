// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel's three charts of one run's per-epoch curves: training and validation
// loss, validation weighted F1, and the learning rate, fed in bulk (replace()) as epochs come in
// or from a finished run's curves.csv. A second run's curves can be overlaid (B: dashed, in
// orange; the loss chart then shows the two training losses), with the
// gap of the test weighted F1 epoch by epoch (model::epochGaps, as `mlsan compare` prints it)
// under the title. GUI thread only.
#include <QString>
#include <QWidget>
#include <vector>

#include "mlsan/model/progress.h"

class QChart;
class QLabel;
class QLineSeries;

namespace mlsan::ui {

class TrainingCurves : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingCurves(QWidget* parent = nullptr);
  /// Draws `curve` (epochs in order) under the title "Curves of TITLE" ("" = a placeholder).
  /// An overlay stays while the same title is shown again (a live run's new epochs), and is
  /// removed when another run is shown.
  void show(const std::vector<model::EpochRecord>& curve, const QString& title);
  /// Overlays `curve` dashed on the shown run's (B against the shown A), with the per-epoch
  /// gap of the test weighted F1 (B - A) under the title. False when no run is shown.
  bool overlay(const std::vector<model::EpochRecord>& curve, const QString& title);
  void clearOverlay();
  /// Points drawn over the four series (train loss, val loss, val W-F1, lr).
  int points() const;
  /// Points drawn over the overlay's three series: train loss, val W-F1, lr (0 without one). With
  /// an overlay the loss chart shows the training losses only.
  int overlayPoints() const;
  QString title() const;
  /// The gap line under the title ("" without an overlay).
  QString gapText() const;

 private:
  void redraw();
  QLabel* title_ = nullptr;
  QLabel* gap_ = nullptr;
  QChart *lossChart_ = nullptr, *f1Chart_ = nullptr, *lrChart_ = nullptr;
  QLineSeries *trainLoss_ = nullptr, *valLoss_ = nullptr, *valF1_ = nullptr, *lr_ = nullptr;
  QLineSeries *trainLossB_ = nullptr, *valF1B_ = nullptr, *lrB_ = nullptr;
  std::vector<model::EpochRecord> base_, other_;
  QString baseTitle_, otherTitle_;
};

}  // namespace mlsan::ui
