// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/training_curves.h"

#include <QGridLayout>
#include <QLabel>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLegendMarker>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <cmath>

#include "mlsan/model/run.h"

namespace mlsan::ui {
namespace {

QChart* makeChart(const QString& title, std::initializer_list<std::pair<QLineSeries**, QString>> series) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(2, 2, 2, 2));
  auto* x = new QValueAxis;
  x->setTitleText(QObject::tr("epoch"));
  x->setLabelFormat("%d");
  auto* y = new QValueAxis;
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (const auto& [ptr, name] : series) {
    *ptr = new QLineSeries;
    (*ptr)->setName(name);
    (*ptr)->setPointsVisible(true);
    chart->addSeries(*ptr);
    (*ptr)->attachAxis(x);
    (*ptr)->attachAxis(y);
  }
  if (series.size() == 1) chart->legend()->hide();
  return chart;
}

/// The overlay's twin of `a` (the second run, "B"): dashed, in its own warm colour so that the two
/// runs are told apart at a glance, hidden until an overlay is shown.
QLineSeries* dashedTwin(QChart* chart, QLineSeries* a, const QColor& colour) {
  auto* b = new QLineSeries;
  b->setName(a->name() + QObject::tr(" B"));
  chart->addSeries(b);
  for (auto* axis : a->attachedAxes()) b->attachAxis(axis);
  QPen pen(colour);
  pen.setWidthF(2.0);
  pen.setStyle(Qt::DashLine);
  b->setPen(pen);
  b->setVisible(false);
  for (auto* m : chart->legend()->markers(b)) m->setVisible(false);
  return b;
}

void fill(QLineSeries* s, const std::vector<model::EpochRecord>& curve, double model::EpochRecord::*field) {
  QList<QPointF> pts;
  for (const auto& r : curve)
    if (std::isfinite(r.*field)) pts.append(QPointF(r.epoch, r.*field));
  s->replace(pts);
}

/// Whole epochs on x (at most about six ticks), the data's range plus a margin on y.
void fitAxes(QChart* chart) {
  double x0 = 1, x1 = 2, y0 = 1e300, y1 = -1e300;
  for (auto* s : chart->series()) {
    if (!s->isVisible()) continue;
    for (const QPointF& p : static_cast<QLineSeries*>(s)->points()) {
      x1 = std::max(x1, p.x());
      y0 = std::min(y0, p.y());
      y1 = std::max(y1, p.y());
    }
  }
  if (y0 > y1) { y0 = 0; y1 = 1; }
  const double pad = y1 > y0 ? (y1 - y0) * 0.08 : std::max(1e-6, std::abs(y1) * 0.1);
  const auto h = chart->axes(Qt::Horizontal), v = chart->axes(Qt::Vertical);
  if (!h.isEmpty()) {
    auto* x = static_cast<QValueAxis*>(h.first());
    const double top = std::max(x1, x0 + 1);
    x->setRange(x0, top);
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(x0);
    x->setTickInterval(std::max(1.0, std::ceil((top - x0) / 6)));
  }
  if (!v.isEmpty()) static_cast<QValueAxis*>(v.first())->setRange(y0 - pad, y1 + pad);
}

}  // namespace

TrainingCurves::TrainingCurves(QWidget* parent) : QWidget(parent) {
  lossChart_ = makeChart(tr("Loss"), {{&trainLoss_, tr("train")}, {&valLoss_, tr("val")}});
  f1Chart_ = makeChart(tr("Val. weighted F1 (%)"), {{&valF1_, tr("val W-F1")}});
  lrChart_ = makeChart(tr("Learning rate"), {{&lr_, tr("lr")}});
  const QColor orange(230, 120, 10);
  trainLossB_ = dashedTwin(lossChart_, trainLoss_, orange);
  valF1B_ = dashedTwin(f1Chart_, valF1_, orange);
  lrB_ = dashedTwin(lrChart_, lr_, orange);
  title_ = new QLabel(tr("Curves appear here per epoch"));
  title_->setObjectName("trainCurveTitle");
  title_->setWordWrap(true);
  gap_ = new QLabel;
  gap_->setObjectName("trainCurveGap");
  gap_->setWordWrap(true);
  gap_->hide();
  auto* layout = new QGridLayout(this);
  layout->addWidget(title_, 0, 0, 1, 3);
  layout->addWidget(gap_, 1, 0, 1, 3);
  int col = 0;
  for (QChart* c : {lossChart_, f1Chart_, lrChart_}) {
    auto* view = new QChartView(c);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(160, 200);
    layout->addWidget(view, 2, col++);
  }
}

void TrainingCurves::show(const std::vector<model::EpochRecord>& curve, const QString& title) {
  if (title != baseTitle_) {
    other_.clear();
    otherTitle_.clear();
  }
  base_ = curve;
  baseTitle_ = title;
  redraw();
}

bool TrainingCurves::overlay(const std::vector<model::EpochRecord>& curve, const QString& title) {
  if (baseTitle_.isEmpty()) return false;
  other_ = curve;
  otherTitle_ = title;
  redraw();
  return true;
}

void TrainingCurves::clearOverlay() {
  other_.clear();
  otherTitle_.clear();
  redraw();
}

void TrainingCurves::redraw() {
  const bool two = !otherTitle_.isEmpty();
  fill(trainLoss_, base_, &model::EpochRecord::trainLoss);
  fill(valLoss_, base_, &model::EpochRecord::valLoss);
  fill(valF1_, base_, &model::EpochRecord::valWeightedF1);
  fill(lr_, base_, &model::EpochRecord::lr);
  fill(trainLossB_, other_, &model::EpochRecord::trainLoss);
  fill(valF1B_, other_, &model::EpochRecord::valWeightedF1);
  fill(lrB_, other_, &model::EpochRecord::lr);
  // Two runs: the loss chart keeps the training losses only (four legends would not fit).
  const std::pair<QChart*, QLineSeries*> twins[] = {{lossChart_, trainLossB_}, {f1Chart_, valF1B_}, {lrChart_, lrB_}};
  for (const auto& [chart, series] : twins) {
    series->setVisible(two);
    for (auto* m : chart->legend()->markers(series)) m->setVisible(two);
  }
  valLoss_->setVisible(!two);
  for (auto* m : lossChart_->legend()->markers(valLoss_)) m->setVisible(!two);
  f1Chart_->legend()->setVisible(two);
  lrChart_->legend()->setVisible(two);
  for (QChart* c : {lossChart_, f1Chart_, lrChart_}) fitAxes(c);
  if (baseTitle_.isEmpty()) title_->setText(tr("Curves appear here per epoch"));
  else if (!two) title_->setText(tr("Curves of %1").arg(baseTitle_));
  else title_->setText(tr("Curves of %1 (A, solid) and %2 (B, dashed)").arg(baseTitle_, otherTitle_));
  gap_->setVisible(two);
  gap_->clear();
  gap_->setToolTip(QString());
  if (!two) return;
  // The gap epoch by epoch, as `mlsan compare` prints it: the same library computation.
  const auto gaps = model::epochGaps({base_}, {other_});
  if (gaps.empty()) {
    gap_->setText(tr("No common epoch yet."));
    return;
  }
  QStringList parts, all;
  const std::size_t stride = std::max<std::size_t>(1, (gaps.size() + 5) / 6);
  const model::EpochGap* worst = &gaps.front();
  for (std::size_t i = 0; i < gaps.size(); ++i) {
    const auto& g = gaps[i];
    if (g.gap < worst->gap) worst = &g;
    const QString item = tr("epoch %1: %2").arg(g.epoch).arg(g.gap, 0, 'f', 2);
    all << tr("epoch %1: test W-F1 B %2, A %3, B - A %4").arg(g.epoch).arg(g.testB, 0, 'f', 2).arg(g.testA, 0, 'f', 2)
               .arg(g.gap, 0, 'f', 2);
    if (i % stride == 0 || i + 1 == gaps.size()) parts << item;
  }
  const QString trail = worst->gap < 0 ? tr("B's largest deficit %1 at epoch %2").arg(worst->gap, 0, 'f', 2).arg(worst->epoch)
                                        : tr("B never trails");
  gap_->setText(tr("Test W-F1, B - A: %1; %2.").arg(parts.join(QStringLiteral(", ")), trail));
  gap_->setToolTip(all.join('\n'));
}

int TrainingCurves::points() const {
  return static_cast<int>(trainLoss_->count() + valLoss_->count() + valF1_->count() + lr_->count());
}

int TrainingCurves::overlayPoints() const {
  if (otherTitle_.isEmpty()) return 0;
  return static_cast<int>(trainLossB_->count() + valF1B_->count() + lrB_->count());
}

QString TrainingCurves::title() const { return title_->text(); }

QString TrainingCurves::gapText() const { return gap_->isHidden() ? QString() : gap_->text(); }

}  // namespace mlsan::ui
