// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Class probabilities as horizontal bars, one per class, the gold class outlined and the
// predicted one filled. GUI thread only.
#include <QStringList>
#include <QWidget>
#include <vector>

namespace mlsan::ui {

/// Horizontal bars, one per class, with the gold class outlined and the predicted class filled.
class ProbabilityBars : public QWidget {
  Q_OBJECT
 public:
  explicit ProbabilityBars(QWidget* parent = nullptr);
  void setData(const QStringList& labels, const std::vector<float>& probabilities, int gold, int predicted);
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override { return sizeHint(); }

 protected:
  void paintEvent(QPaintEvent*) override;

 private:
  QStringList labels_;
  std::vector<float> p_;
  int gold_ = -1, predicted_ = -1;
};

}  // namespace mlsan::ui
