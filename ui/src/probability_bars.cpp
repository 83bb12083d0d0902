// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/probability_bars.h"

#include <QFontMetrics>
#include <QPainter>
#include <algorithm>
#include <cmath>

namespace mlsan::ui {

ProbabilityBars::ProbabilityBars(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void ProbabilityBars::setData(const QStringList& labels, const std::vector<float>& probabilities, int gold, int predicted) {
  labels_ = labels;
  p_ = probabilities;
  gold_ = gold;
  predicted_ = predicted;
  updateGeometry();
  update();
}

QSize ProbabilityBars::sizeHint() const {
  const int row = fontMetrics().height() + 4;
  return {220, std::max(1, static_cast<int>(labels_.size())) * row + 2};
}

void ProbabilityBars::paintEvent(QPaintEvent*) {
  QPainter g(this);
  const QFontMetrics fm = fontMetrics();
  const int row = fm.height() + 4;
  QFont bold = font();
  bold.setBold(true);
  const QFontMetrics fmBold(bold);
  int labelW = 0;
  for (const QString& l : labels_) labelW = std::max(labelW, fmBold.horizontalAdvance(l));
  labelW += 8;
  const int valueW = fm.horizontalAdvance(QStringLiteral("100.0%")) + 6;
  const int barW = std::max(20, width() - labelW - valueW);
  const QColor fill = palette().color(QPalette::Highlight);
  for (int i = 0; i < labels_.size(); ++i) {
    const int y = i * row + 1;
    const float p = i < static_cast<int>(p_.size()) && std::isfinite(p_[static_cast<std::size_t>(i)]) ? p_[static_cast<std::size_t>(i)] : 0.0f;
    QFont f = font();
    f.setBold(i == gold_);
    g.setFont(f);
    g.setPen(palette().color(QPalette::WindowText));
    g.drawText(QRect(0, y, labelW - 6, row), Qt::AlignRight | Qt::AlignVCenter, labels_[i]);
    const QRect track(labelW, y + 2, barW, row - 4);
    g.fillRect(track, palette().color(QPalette::AlternateBase));
    QColor c = i == predicted_ ? fill : fill.lighter(160);
    g.fillRect(QRect(track.left(), track.top(), static_cast<int>(std::lround(barW * std::clamp(p, 0.0f, 1.0f))), track.height()), c);
    if (i == gold_) {
      g.setPen(QPen(QColor(20, 130, 40), 2));
      g.drawRect(track.adjusted(1, 1, -1, -1));
    }
    g.setPen(palette().color(QPalette::WindowText));
    g.drawText(QRect(labelW + barW + 4, y, valueW, row), Qt::AlignLeft | Qt::AlignVCenter,
               QString::number(100.0 * p, 'f', 1) + '%');
  }
}

}  // namespace mlsan::ui
