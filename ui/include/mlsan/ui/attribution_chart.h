// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The factorial ablation's attribution as a bar chart: the Shapley value of FiLM, the gate and
// the auxiliary loss in the gain of full ML-SAN over MultiEMO, each with its bootstrap 95% CI
// as a whisker, and the gain itself as a grey bar. Drawn with QPainter from the same
// FactorialAnalysis that `mlsan ablation --factorial` prints. GUI thread only.
#include <QString>
#include <QWidget>
#include <optional>

#include "mlsan/experiments/factorial.h"

namespace mlsan::ui {

class AttributionChart : public QWidget {
  Q_OBJECT
 public:
  explicit AttributionChart(QWidget* parent = nullptr);
  /// Shows `a` (nullopt or an invalid analysis: a line saying why there is nothing to draw).
  void setAnalysis(const std::optional<experiments::FactorialAnalysis>& a);
  const std::optional<experiments::FactorialAnalysis>& analysis() const { return analysis_; }
  /// The text under the chart, saying in words what the bars mean (for tests and tooltips).
  QString summary() const;
  QSize sizeHint() const override { return {520, 300}; }
  QSize minimumSizeHint() const override { return {320, 220}; }

 protected:
  void paintEvent(QPaintEvent*) override;
  bool event(QEvent* e) override;

 private:
  struct Bar {
    QString name;
    double value, low, high;
    QColor colour;
  };
  std::vector<Bar> bars() const;
  /// The plot rectangle, and the rectangle of bar `i` of `n` (from 0 to `value`).
  QRectF plotRect() const;
  QRectF barRect(int i, int n, double value, double lo, double hi) const;
  double toY(double v, double lo, double hi) const;
  void range(double& lo, double& hi) const;

  std::optional<experiments::FactorialAnalysis> analysis_;
};

}  // namespace mlsan::ui
