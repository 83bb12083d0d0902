// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/embedding_map_view.h"

#include <QLabel>
#include <QStackedWidget>
#include <QVBoxLayout>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QScatterSeries>
#include <QtCharts/QValueAxis>
#include <algorithm>
#include <cmath>

#include "mlsan/ui/embedding_job.h"
#include "mlsan/ui/emotion_colors.h"
#include "mlsan/ui/speaker_colors.h"

namespace mlsan::ui {

EmbeddingMapView::EmbeddingMapView(QWidget* parent) : QWidget(parent) {
  chart_ = new QChart;
  chart_->legend()->hide();
  chart_->setMargins(QMargins(2, 2, 2, 2));
  chart_->setBackgroundRoundness(0);
  ax_ = new QValueAxis;
  ay_ = new QValueAxis;
  for (QValueAxis* a : {ax_, ay_}) {
    a->setLabelsVisible(false);
    a->setGridLineVisible(false);
    a->setTickCount(2);
    a->setRange(-1, 1);
  }
  chart_->addAxis(ax_, Qt::AlignBottom);
  chart_->addAxis(ay_, Qt::AlignLeft);
  view_ = new QChartView(chart_);
  view_->setRenderHint(QPainter::Antialiasing);
  message_ = new QLabel;
  message_->setAlignment(Qt::AlignCenter);
  message_->setWordWrap(true);
  message_->setMargin(16);
  stack_ = new QStackedWidget;
  stack_->addWidget(message_);
  stack_->addWidget(view_);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(stack_);
  clear(tr("No map yet."));
}

void EmbeddingMapView::clear(const QString& message) {
  map_.reset();
  points_ = 0;
  message_->setText(message);
  stack_->setCurrentWidget(message_);
}

QString EmbeddingMapView::message() const { return stack_->currentWidget() == message_ ? message_->text() : QString(); }

int EmbeddingMapView::groupOf(int row) const {
  return by_ == ColourBy::Speaker ? map_->speaker[static_cast<std::size_t>(row)] : map_->emotion[static_cast<std::size_t>(row)];
}

void EmbeddingMapView::setMap(std::shared_ptr<const EmbeddingMap> map, std::shared_ptr<const data::Corpus> corpus, ColourBy by,
                              const QString& title) {
  const bool sameRows = map_ && map && map_->rows() == map->rows() && corpus_ == corpus && series_.size() > 0;
  map_ = std::move(map);
  corpus_ = std::move(corpus);
  by_ = by;
  chart_->setTitle(title);
  if (!map_ || map_->layout.empty()) {
    clear(tr("No map yet."));
    return;
  }
  stack_->setCurrentWidget(view_);
  if (!sameRows || seriesBy_ != by_) rebuildSeries();
  updatePoints();
}

void EmbeddingMapView::setColourBy(ColourBy by) {
  by_ = by;
  if (!map_) return;
  rebuildSeries();
  updatePoints();
}

void EmbeddingMapView::rebuildSeries() {
  for (QScatterSeries* s : series_)
    if (s) {
      chart_->removeSeries(s);
      delete s;
    }
  series_.clear();
  rowsOf_.clear();
  int groups = 0;
  for (std::size_t i = 0; i < map_->rows(); ++i) groups = std::max(groups, groupOf(static_cast<int>(i)) + 1);
  series_.assign(static_cast<std::size_t>(groups), nullptr);
  rowsOf_.assign(static_cast<std::size_t>(groups), {});
  for (std::size_t i = 0; i < map_->rows(); ++i) rowsOf_[static_cast<std::size_t>(groupOf(static_cast<int>(i)))].push_back(static_cast<int>(i));
  const int numSpeakers = static_cast<int>(corpus_->speakers.size());
  for (int g = 0; g < groups; ++g) {
    if (rowsOf_[static_cast<std::size_t>(g)].empty()) continue;
    auto* s = new QScatterSeries;
    const QString name = by_ == ColourBy::Speaker ? QString::fromStdString(corpus_->speakers[static_cast<std::size_t>(g)])
                                                  : QString::fromStdString(corpus_->labels.labels[static_cast<std::size_t>(g)]);
    s->setName(name);
    s->setColor(by_ == ColourBy::Speaker ? speakerColor(g, numSpeakers) : emotionColor(name, g));
    s->setBorderColor(Qt::transparent);
    s->setMarkerSize(6.5);
    chart_->addSeries(s);
    s->attachAxis(ax_);
    s->attachAxis(ay_);
    connect(s, &QScatterSeries::clicked, this, [this, g](const QPointF& p) {
      if (!map_) return;
      // The nearest point of this group to the click.
      int best = -1;
      double bestD = 1e300;
      for (int row : rowsOf_[static_cast<std::size_t>(g)]) {
        const double dx = map_->layout[static_cast<std::size_t>(row) * map_->dims] - p.x();
        const double dy = map_->layout[static_cast<std::size_t>(row) * map_->dims + 1] - p.y();
        if (dx * dx + dy * dy < bestD) bestD = dx * dx + dy * dy, best = row;
      }
      if (best >= 0) emit pointClicked(map_->dialogue[static_cast<std::size_t>(best)], map_->index[static_cast<std::size_t>(best)]);
    });
    series_[static_cast<std::size_t>(g)] = s;
  }
  seriesBy_ = by_;
}

void EmbeddingMapView::updatePoints() {
  const int dims = map_->dims;
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  points_ = 0;
  for (std::size_t g = 0; g < series_.size(); ++g) {
    if (!series_[g]) continue;
    QList<QPointF> pts;
    pts.reserve(static_cast<qsizetype>(rowsOf_[g].size()));
    for (int row : rowsOf_[g]) {
      const double x = map_->layout[static_cast<std::size_t>(row) * dims], y = map_->layout[static_cast<std::size_t>(row) * dims + 1];
      pts.append(QPointF(x, y));
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
    points_ += static_cast<int>(pts.size());
    series_[g]->replace(pts);
  }
  if (points_ == 0) return;
  const double mx = std::max(1e-6, 0.05 * (x1 - x0)), my = std::max(1e-6, 0.05 * (y1 - y0));
  ax_->setRange(x0 - mx, x1 + mx);
  ay_->setRange(y0 - my, y1 + my);
}

QPoint EmbeddingMapView::pointPosition(int row) const {
  if (!map_) return {};
  const QPointF p(map_->layout[static_cast<std::size_t>(row) * map_->dims], map_->layout[static_cast<std::size_t>(row) * map_->dims + 1]);
  const QScatterSeries* s = series_[static_cast<std::size_t>(groupOf(row))];
  return view_->mapFromScene(chart_->mapToScene(chart_->mapToPosition(p, const_cast<QScatterSeries*>(s))));
}

}  // namespace mlsan::ui
