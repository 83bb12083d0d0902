// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/training_curves.h"

#include <QGridLayout>
#include <QLabel>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <cmath>

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

/// Whole epochs on x (at most about six ticks), the data's range plus a margin on y.
void fitAxes(QChart* chart) {
  double x0 = 1, x1 = 2, y0 = 1e300, y1 = -1e300;
  for (auto* s : chart->series()) {
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
  title_ = new QLabel(tr("Curves appear here per epoch"));
  title_->setObjectName("trainCurveTitle");
  auto* layout = new QGridLayout(this);
  layout->addWidget(title_, 0, 0, 1, 3);
  int col = 0;
  for (QChart* c : {lossChart_, f1Chart_, lrChart_}) {
    auto* view = new QChartView(c);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(160, 200);
    layout->addWidget(view, 1, col++);
  }
}

void TrainingCurves::show(const std::vector<model::EpochRecord>& curve, const QString& title) {
  auto fill = [&curve](QLineSeries* s, double model::EpochRecord::*field) {
    QList<QPointF> pts;
    for (const auto& r : curve)
      if (std::isfinite(r.*field)) pts.append(QPointF(r.epoch, r.*field));
    s->replace(pts);
  };
  fill(trainLoss_, &model::EpochRecord::trainLoss);
  fill(valLoss_, &model::EpochRecord::valLoss);
  fill(valF1_, &model::EpochRecord::valWeightedF1);
  fill(lr_, &model::EpochRecord::lr);
  for (QChart* c : {lossChart_, f1Chart_, lrChart_}) fitAxes(c);
  title_->setText(title.isEmpty() ? tr("Curves appear here per epoch") : tr("Curves of %1").arg(title));
}

int TrainingCurves::points() const {
  return static_cast<int>(trainLoss_->count() + valLoss_->count() + valF1_->count() + lr_->count());
}

QString TrainingCurves::title() const { return title_->text(); }

}  // namespace mlsan::ui
