// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/attribution_chart.h"

#include <QHelpEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

namespace mlsan::ui {
namespace ex = experiments;

namespace {
QString signedText(double v) { return (v >= 0 ? "+" : "") + QString::number(v, 'f', 2); }
const QColor kColours[3] = {QColor(52, 101, 164), QColor(204, 121, 31), QColor(78, 154, 6)};
}  // namespace

AttributionChart::AttributionChart(QWidget* parent) : QWidget(parent) {
  setObjectName("attributionChart");
  setMouseTracking(true);
}

void AttributionChart::setAnalysis(const std::optional<ex::FactorialAnalysis>& a) {
  analysis_ = a;
  setToolTip(QString());
  update();
}

std::vector<AttributionChart::Bar> AttributionChart::bars() const {
  std::vector<Bar> out;
  if (!analysis_ || !analysis_->valid()) return out;
  for (int i = 0; i < 3; ++i) {
    const auto& s = analysis_->shapley[i];
    out.push_back({QString::fromUtf8(ex::kComponentNames[i]), s.value, s.ciLow, s.ciHigh, kColours[i]});
  }
  const auto& g = analysis_->gain;
  out.push_back({tr("Full − MultiEMO"), g.value, g.ciLow, g.ciHigh, QColor(130, 130, 130)});
  return out;
}

QString AttributionChart::summary() const {
  if (!analysis_) return tr("Run the factorial ablation to see where the gain over MultiEMO comes from.");
  if (!analysis_->valid()) return tr("No attribution yet: %1.").arg(QString::fromStdString(analysis_->note));
  const auto& a = *analysis_;
  // The component that carries most of the difference, in the difference's direction.
  const double sign = a.gain.value < 0 ? -1 : 1;
  int best = 0;
  for (int i = 1; i < 3; ++i)
    if (sign * a.shapley[i].value > sign * a.shapley[best].value) best = i;
  QString text = a.gain.value >= 0
                     ? tr("Of the %1 W-F1 points full ML-SAN gains over MultiEMO, %2 carries %3")
                     : tr("Full ML-SAN is %1 W-F1 points below MultiEMO; %2 accounts for %3");
  text = text.arg(a.gain.value >= 0 ? signedText(a.gain.value) : QString::number(-a.gain.value, 'f', 2),
                  QString::fromUtf8(ex::kComponentNames[best]), signedText(a.shapley[best].value));
  if (!std::isfinite(a.gain.ciLow))
    return text + tr(" (Shapley values over %n seed(s); no interval below 3 seeds).", nullptr, static_cast<int>(a.seeds.size()));
  QStringList zero;
  for (int i = 0; i < 3; ++i)
    if (a.shapley[i].ciLow <= 0 && a.shapley[i].ciHigh >= 0) zero << QString::fromUtf8(ex::kComponentNames[i]);
  if (!zero.isEmpty()) text += tr("; the interval of %1 includes 0").arg(zero.join(tr(" and ")));
  return text + tr(" (Shapley values; 95% Student-t interval over %n seeds, n - 1 degrees of freedom).", nullptr,
                   static_cast<int>(a.seeds.size()));
}

QRectF AttributionChart::plotRect() const {
  const QFontMetrics fm(font());
  const double left = fm.horizontalAdvance("+00.0") + 16, top = fm.height() * 2 + 8, bottom = fm.height() * 3.6 + 8;
  return QRectF(left, top, std::max(10.0, width() - left - 12), std::max(10.0, height() - top - bottom));
}

void AttributionChart::range(double& lo, double& hi) const {
  lo = 0;
  hi = 0;
  for (const auto& b : bars())
    for (double v : {b.value, b.low, b.high})
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  const double pad = std::max(0.5, (hi - lo) * 0.08);
  hi += pad;
  if (lo < 0) lo -= pad;
}

double AttributionChart::toY(double v, double lo, double hi) const {
  const QRectF r = plotRect();
  return r.bottom() - (v - lo) / (hi - lo) * r.height();
}

QRectF AttributionChart::barRect(int i, int n, double value, double lo, double hi) const {
  const QRectF r = plotRect();
  const double slot = r.width() / n, w = slot * 0.56;
  const double y0 = toY(0, lo, hi), y1 = toY(value, lo, hi);
  return QRectF(r.left() + slot * i + (slot - w) / 2, std::min(y0, y1), w, std::abs(y1 - y0));
}

void AttributionChart::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(rect(), palette().color(QPalette::Base));
  const QFontMetrics fm(font());
  QFont bold = font();
  bold.setBold(true);
  p.setFont(bold);
  p.setPen(palette().color(QPalette::Text));
  p.drawText(QRectF(8, 4, width() - 16, fm.height() + 4), Qt::AlignLeft | Qt::AlignVCenter,
             tr("Where the gain over MultiEMO comes from (Shapley values, W-F1)"));
  p.setFont(font());
  const auto bs = bars();
  const QRectF r = plotRect();
  if (bs.empty()) {
    p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap, summary());
    return;
  }
  double lo, hi;
  range(lo, hi);
  // Grid and y labels.
  const double step = std::pow(10.0, std::floor(std::log10((hi - lo) / 4)));
  const double nice = (hi - lo) / step > 20 ? step * 5 : (hi - lo) / step > 8 ? step * 2 : step;
  p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DotLine));
  for (double v = std::ceil(lo / nice) * nice; v <= hi + 1e-9; v += nice) {
    const double y = toY(v, lo, hi);
    p.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DotLine));
    p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y));
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(0, y - fm.height() / 2.0, r.left() - 6, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
               QString::number(v, 'f', nice < 1 ? 1 : 0));
  }
  p.setPen(QPen(palette().color(QPalette::Text), 1.2));
  p.drawLine(QPointF(r.left(), toY(0, lo, hi)), QPointF(r.right(), toY(0, lo, hi)));
  const int n = static_cast<int>(bs.size());
  for (int i = 0; i < n; ++i) {
    const auto& b = bs[static_cast<std::size_t>(i)];
    const QRectF br = barRect(i, n, b.value, lo, hi);
    p.fillRect(br, b.colour);
    // The CI whisker.
    if (std::isfinite(b.low) && std::isfinite(b.high)) {
      const double x = br.center().x(), cap = br.width() * 0.18;
      p.setPen(QPen(palette().color(QPalette::Text), 1.6));
      const double yl = toY(b.low, lo, hi), yh = toY(b.high, lo, hi);
      p.drawLine(QPointF(x, yl), QPointF(x, yh));
      p.drawLine(QPointF(x - cap, yl), QPointF(x + cap, yl));
      p.drawLine(QPointF(x - cap, yh), QPointF(x + cap, yh));
    }
    // The value above the bar and its whisker (above the zero line for a bar that hangs below
    // it, so that the text never sits on the bar), the name under the axis.
    p.setPen(palette().color(QPalette::Text));
    const double top = toY(std::max({b.value, std::isfinite(b.high) ? b.high : b.value, 0.0}), lo, hi);
    p.drawText(QRectF(br.left() - 20, top - fm.height() - 2, br.width() + 40, fm.height()), Qt::AlignCenter, signedText(b.value));
    p.drawText(QRectF(br.left() - 30, r.bottom() + 4, br.width() + 60, fm.height()), Qt::AlignCenter, b.name);
  }
  p.setPen(palette().color(QPalette::Text));
  p.drawText(QRectF(8, r.bottom() + fm.height() + 8, width() - 16, fm.height() * 2.4), Qt::AlignLeft | Qt::TextWordWrap, summary());
}

bool AttributionChart::event(QEvent* e) {
  if (e->type() == QEvent::ToolTip) {
    auto* h = static_cast<QHelpEvent*>(e);
    const auto bs = bars();
    if (!bs.empty()) {
      double lo, hi;
      range(lo, hi);
      const QRectF r = plotRect();
      const int n = static_cast<int>(bs.size());
      const int i = static_cast<int>((h->pos().x() - r.left()) / (r.width() / n));
      if (i >= 0 && i < n) {
        const auto& b = bs[static_cast<std::size_t>(i)];
        const QString text = std::isfinite(b.low)
                                 ? tr("%1: %2 W-F1 points, 95% t-interval over seeds [%3, %4]")
                                       .arg(b.name, signedText(b.value), signedText(b.low), signedText(b.high))
                                 : tr("%1: %2 W-F1 points (no interval below 3 seeds)").arg(b.name, signedText(b.value));
        QToolTip::showText(h->globalPos(), text, this);
        return true;
      }
    }
    QToolTip::hideText();
    e->ignore();
    return true;
  }
  return QWidget::event(e);
}

}  // namespace mlsan::ui
