// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// One confusion matrix drawn as a heat map: rows are the gold label, columns the prediction,
// each cell printing its count (or share) and shaded by its share of the row, so tail classes
// (fear, disgust) are as readable as neutral. The diverging form shows a difference of two
// matrices, shaded blue where the change is a gain and red where it is a loss (the caller
// decides which), with the diagonal outlined, so diagonal gains stand out.
// Clicking a cell selects it and emits cellClicked. paintMatrix() draws into any painter (PNG
// and SVG export). GUI thread only.
#include <QStringList>
#include <QWidget>
#include <vector>

namespace mlsan::ui {

class ConfusionMatrixView : public QWidget {
  Q_OBJECT
 public:
  enum class Scale { Sequential, Diverging };
  explicit ConfusionMatrixView(QWidget* parent = nullptr);

  /// `values` are printed (as integers, or as percentages of 100 when `percent`); `shade` gives
  /// each cell's colour: 0..1 (Sequential) or -1..1 (Diverging).
  void setMatrix(const QString& title, const QStringList& labels, const std::vector<std::vector<double>>& values,
                 const std::vector<std::vector<double>>& shade, Scale scale, bool percent);
  void clear(const QString& message);
  void setSelectedCell(int row, int column);
  int selectedRow() const { return selRow_; }
  int selectedColumn() const { return selCol_; }
  const QString& title() const { return title_; }
  int size() const { return static_cast<int>(labels_.size()); }
  double value(int row, int column) const { return values_[static_cast<std::size_t>(row)][static_cast<std::size_t>(column)]; }
  /// The cell's rectangle in widget coordinates (for tests that click).
  QRect cellRect(int row, int column) const;
  /// Draws the whole matrix (title, axes, cells) into `area` of `painter`.
  void paintMatrix(QPainter& painter, const QRect& area) const;

  QSize sizeHint() const override { return {420, 400}; }
  QSize minimumSizeHint() const override { return {260, 240}; }

 signals:
  void cellClicked(int row, int column);

 protected:
  void paintEvent(QPaintEvent*) override;
  void mousePressEvent(QMouseEvent* e) override;

 private:
  struct Geometry {
    QRect grid;
    double cell = 0;
  };
  Geometry geometry(const QRect& area, const QFontMetrics& fm) const;
  QColor cellColor(double shade) const;

  QString title_, message_;
  QStringList labels_;
  std::vector<std::vector<double>> values_, shade_;
  Scale scale_ = Scale::Sequential;
  bool percent_ = false;
  int selRow_ = -1, selCol_ = -1;
};

}  // namespace mlsan::ui
