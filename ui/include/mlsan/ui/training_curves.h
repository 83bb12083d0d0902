// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel's three charts of one run's per-epoch curves: training and validation
// loss, validation weighted F1, and the learning rate, fed in bulk (replace()) as epochs come in
// or from a finished run's curves.csv. GUI thread only.
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
  void show(const std::vector<model::EpochRecord>& curve, const QString& title);
  /// Points drawn over the four series (train loss, val loss, val W-F1, lr).
  int points() const;
  QString title() const;

 private:
  QLabel* title_ = nullptr;
  QChart *lossChart_ = nullptr, *f1Chart_ = nullptr, *lrChart_ = nullptr;
  QLineSeries *trainLoss_ = nullptr, *valLoss_ = nullptr, *valF1_ = nullptr, *lr_ = nullptr;
};

}  // namespace mlsan::ui
