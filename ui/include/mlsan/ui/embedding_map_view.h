// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A 2-D t-SNE map in Qt Charts: one scatter series per speaker or emotion (colours from
// speaker_colors.h / emotion_colors.h, so two maps side by side share them), redrawn in place
// (QXYSeries::replace) as partial layouts arrive, axes without ticks (t-SNE's axes mean
// nothing). Clicking a point emits its utterance. GUI thread only.
#include <QWidget>
#include <memory>

#include "mlsan/data/corpus.h"

class QChart;
class QChartView;
class QLabel;
class QScatterSeries;
class QStackedWidget;
class QValueAxis;

namespace mlsan::ui {

struct EmbeddingMap;

class EmbeddingMapView : public QWidget {
  Q_OBJECT
 public:
  enum class ColourBy { Speaker, Emotion };
  explicit EmbeddingMapView(QWidget* parent = nullptr);

  void setMap(std::shared_ptr<const EmbeddingMap> map, std::shared_ptr<const data::Corpus> corpus, ColourBy by, const QString& title);
  void setColourBy(ColourBy by);
  void clear(const QString& message);
  QString message() const;
  int points() const { return points_; }
  const std::shared_ptr<const EmbeddingMap>& map() const { return map_; }
  QChartView* chartView() const { return view_; }
  /// Where a map row is drawn, in chart-view coordinates (for tests that click).
  QPoint pointPosition(int row) const;

 signals:
  void pointClicked(int dialogue, int utterance);

 private:
  void rebuildSeries();
  void updatePoints();
  int groupOf(int row) const;

  std::shared_ptr<const EmbeddingMap> map_;
  std::shared_ptr<const data::Corpus> corpus_;
  ColourBy by_ = ColourBy::Speaker;
  QStackedWidget* stack_ = nullptr;
  QLabel* message_ = nullptr;
  QChartView* view_ = nullptr;
  QChart* chart_ = nullptr;
  QValueAxis *ax_ = nullptr, *ay_ = nullptr;
  std::vector<QScatterSeries*> series_;  ///< per group id
  std::vector<std::vector<int>> rowsOf_; ///< per group: map rows in series order
  int points_ = 0;
  ColourBy seriesBy_ = ColourBy::Speaker;
};

}  // namespace mlsan::ui
