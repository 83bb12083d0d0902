// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/confusion_matrix_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace mlsan::ui {

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent) : QWidget(parent) {
  setMouseTracking(false);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ConfusionMatrixView::setMatrix(const QString& title, const QStringList& labels, const std::vector<std::vector<double>>& values,
                                    const std::vector<std::vector<double>>& shade, Scale scale, bool percent) {
  title_ = title;
  message_.clear();
  labels_ = labels;
  values_ = values;
  shade_ = shade;
  scale_ = scale;
  percent_ = percent;
  if (selRow_ >= labels_.size() || selCol_ >= labels_.size()) selRow_ = selCol_ = -1;
  update();
}

void ConfusionMatrixView::clear(const QString& message) {
  labels_.clear();
  values_.clear();
  shade_.clear();
  message_ = message;
  selRow_ = selCol_ = -1;
  update();
}

void ConfusionMatrixView::setSelectedCell(int row, int column) {
  selRow_ = row;
  selCol_ = column;
  update();
}

ConfusionMatrixView::Geometry ConfusionMatrixView::geometry(const QRect& area, const QFontMetrics& fm) const {
  int labelW = 0;
  for (const QString& l : labels_) labelW = std::max(labelW, fm.horizontalAdvance(l));
  const int top = fm.height() * 2 + 6;                 // title + "predicted"
  const int left = labelW + fm.height() + 12;          // "true" (rotated) + row labels
  const int bottom = static_cast<int>(labelW * 0.75) + fm.height() + 6;  // slanted column labels
  const int n = std::max(1, static_cast<int>(labels_.size()));
  const double cell = std::max(8.0, std::min((area.width() - left - 8.0) / n, (area.height() - top - bottom) / static_cast<double>(n)));
  const int side = static_cast<int>(cell * n);
  const int x0 = area.left() + left + std::max(0, (area.width() - left - 8 - side) / 2);
  return {QRect(x0, area.top() + top, side, side), cell};
}

QColor ConfusionMatrixView::cellColor(double s) const {
  auto mix = [](const QColor& a, const QColor& b, double t) {
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * t), static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * t),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * t));
  };
  if (scale_ == Scale::Sequential) return mix(QColor(247, 251, 255), QColor(8, 69, 148), std::sqrt(std::max(0.0, s)));
  if (s >= 0) return mix(QColor(247, 247, 247), QColor(33, 102, 172), std::sqrt(s));
  return mix(QColor(247, 247, 247), QColor(178, 24, 43), std::sqrt(-s));
}

QRect ConfusionMatrixView::cellRect(int row, int column) const {
  const Geometry g = geometry(rect().adjusted(4, 4, -4, -4), fontMetrics());
  return QRect(static_cast<int>(g.grid.left() + column * g.cell), static_cast<int>(g.grid.top() + row * g.cell),
               static_cast<int>(g.cell), static_cast<int>(g.cell));
}

void ConfusionMatrixView::paintMatrix(QPainter& p, const QRect& area) const {
  p.save();
  p.setRenderHint(QPainter::Antialiasing, true);
  p.setRenderHint(QPainter::TextAntialiasing, true);
  const QFontMetrics fm(p.font());
  QFont bold = p.font();
  bold.setBold(true);
  if (labels_.isEmpty()) {
    p.setPen(palette().color(QPalette::PlaceholderText));
    p.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, message_);
    p.restore();
    return;
  }
  const Geometry g = geometry(area, fm);
  const int n = static_cast<int>(labels_.size());
  p.setFont(bold);
  p.setPen(palette().color(QPalette::WindowText));
  p.drawText(QRect(area.left(), area.top(), area.width(), fm.height() + 2), Qt::AlignHCenter | Qt::AlignVCenter, title_);
  p.setFont(font());
  p.setPen(palette().color(QPalette::Mid).darker(150));
  p.drawText(QRect(g.grid.left(), area.top() + fm.height() + 2, g.grid.width(), fm.height()), Qt::AlignCenter, tr("predicted"));
  p.save();
  p.translate(area.left() + fm.height() / 2 + 2, g.grid.center().y());
  p.rotate(-90);
  p.drawText(QRect(-g.grid.height() / 2, -fm.height() / 2, g.grid.height(), fm.height()), Qt::AlignCenter, tr("true"));
  p.restore();
  QFont cellFont = font();
  cellFont.setPointSizeF(std::clamp(g.cell / 3.2, 6.0, font().pointSizeF()));
  const QFontMetrics cfm(cellFont);
  for (int r = 0; r < n; ++r) {
    // Row label, right-aligned against the grid.
    p.setPen(palette().color(QPalette::WindowText));
    p.setFont(font());
    p.drawText(QRect(area.left(), static_cast<int>(g.grid.top() + r * g.cell), g.grid.left() - area.left() - 4, static_cast<int>(g.cell)),
               Qt::AlignRight | Qt::AlignVCenter, labels_[r]);
    for (int c = 0; c < n; ++c) {
      const QRectF cell(g.grid.left() + c * g.cell, g.grid.top() + r * g.cell, g.cell, g.cell);
      const double s = shade_[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      const QColor bg = cellColor(s);
      p.fillRect(cell, bg);
      p.setPen(QPen(QColor(255, 255, 255), 1));
      p.drawRect(cell);
      const double v = values_[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
      QString text;
      if (percent_) text = scale_ == Scale::Diverging ? QString::asprintf("%+.0f", 100 * v) : QString::number(100 * v, 'f', 0);
      else text = scale_ == Scale::Diverging ? (v > 0 ? QString("+%1").arg(v, 0, 'f', 0) : QString::number(v, 'f', 0)) : QString::number(v, 'f', 0);
      if (scale_ == Scale::Diverging && v == 0) text = QStringLiteral("0");
      p.setFont(cellFont);
      p.setPen(bg.lightnessF() < 0.55 ? Qt::white : QColor(30, 30, 30));
      if (cfm.horizontalAdvance(text) < g.cell - 2) p.drawText(cell, Qt::AlignCenter, text);
    }
  }
  // The diagonal outlined (where a gain is a gain), then the selection.
  p.setBrush(Qt::NoBrush);
  p.setPen(QPen(QColor(40, 40, 40), 1.6));
  for (int i = 0; i < n; ++i) p.drawRect(QRectF(g.grid.left() + i * g.cell + 1, g.grid.top() + i * g.cell + 1, g.cell - 2, g.cell - 2));
  if (selRow_ >= 0 && selCol_ >= 0 && selRow_ < n && selCol_ < n) {
    p.setPen(QPen(QColor(255, 170, 0), 3));
    p.drawRect(QRectF(g.grid.left() + selCol_ * g.cell + 1.5, g.grid.top() + selRow_ * g.cell + 1.5, g.cell - 3, g.cell - 3));
  }
  // Column labels, slanted under the grid.
  p.setFont(font());
  p.setPen(palette().color(QPalette::WindowText));
  for (int c = 0; c < n; ++c) {
    p.save();
    p.translate(g.grid.left() + (c + 0.5) * g.cell, g.grid.bottom() + 6);
    p.rotate(40);
    p.drawText(QPointF(0, fm.ascent() / 2.0), labels_[c]);
    p.restore();
  }
  p.restore();
}

void ConfusionMatrixView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().color(QPalette::Base));
  paintMatrix(p, rect().adjusted(4, 4, -4, -4));
}

void ConfusionMatrixView::mousePressEvent(QMouseEvent* e) {
  const int n = static_cast<int>(labels_.size());
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      if (cellRect(r, c).contains(e->position().toPoint())) {
        setSelectedCell(r, c);
        emit cellClicked(r, c);
        return;
      }
}

}  // namespace mlsan::ui
