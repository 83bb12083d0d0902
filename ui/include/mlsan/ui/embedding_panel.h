// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Embedding views (the paper's Fig. 5, interrogable): t-SNE maps of a run's features at two
// stages of the model side by side (audio or visual raw vs after FiLM, or after the projection
// vs after the gate, which is what the fusion reads; or the fused representation alone),
// coloured by speaker or emotion with one shared legend, the maps filling in as t-SNE runs. Below
// them, for every stage of the modality, the numbers that say whether speakers were
// disentangled: silhouette by speaker and by emotion, a linear speaker probe, and the same probe
// within each emotion (speaker identity beyond what the emotion gives away); and one sentence
// per stage in words (analysis::describeDisentanglement, as `mlsan disentangle` prints).
// 2-D maps in Qt Charts; 3-D maps in VTK (EmbeddingView3D) where OpenGL is available.
// Clicking a point opens its utterance (openUtterance). The work runs on EmbeddingJob.
// GUI thread only.
#include <QWidget>
#include <memory>
#include <vector>

#include "mlsan/ui/embedding_job.h"
#include "mlsan/ui/embedding_map_view.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableWidget;

namespace mlsan::ui {

class EmbeddingView3D;
class StudioState;

class EmbeddingPanel : public QWidget {
  Q_OBJECT
 public:
  explicit EmbeddingPanel(StudioState& state, QWidget* parent = nullptr);
  ~EmbeddingPanel() override;

  /// Which features: a stage of audio or visual (the map pair that shows it: raw/FiLM or
  /// projection/gate) or fused.
  void setFeatures(model::FeatureKind kind);
  void setColourBy(EmbeddingMapView::ColourBy by);
  void setDims(int dims);
  void setMaxPoints(int points);
  void setIterations(int iterations) { iterations_ = iterations; }
  /// Starts (or reuses) the maps for the current choices.
  void compute();
  void cancel();
  bool busy() const;

  EmbeddingMapView* before() const { return maps_[0]; }
  EmbeddingMapView* after() const { return maps_[1]; }
  EmbeddingView3D* before3D() const { return views3d_[0]; }
  EmbeddingView3D* after3D() const { return views3d_[1]; }
  QTableWidget* numbers() const { return numbers_; }
  QString verdict() const;
  QString legendText() const;
  const std::shared_ptr<const EmbeddingResult>& result() const { return result_; }
  /// Partial layouts received while the last job ran (for tests).
  int partialUpdates() const { return partials_; }

 signals:
  void openUtterance(int dialogue, int utterance);
  void computed(bool ok);

 protected:
  void showEvent(QShowEvent* e) override;

 private:
  EmbeddingRequest request() const;
  void runsChanged();
  void showMap(int side, const std::shared_ptr<const EmbeddingMap>& map);
  void showResult(const std::shared_ptr<const EmbeddingResult>& r);
  void updateLegend();
  void updateNumbers();
  QString title(int side, const EmbeddingMap& map) const;

  StudioState& state_;
  EmbeddingJob* job_ = nullptr;
  QComboBox *runBox_ = nullptr, *featureBox_ = nullptr, *colourBox_ = nullptr, *pointsBox_ = nullptr, *splitBox_ = nullptr,
            *dimsBox_ = nullptr;
  QPushButton *compute_ = nullptr, *cancel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* stage_ = nullptr;
  QStackedWidget* sides_[2] = {nullptr, nullptr};
  EmbeddingMapView* maps_[2] = {nullptr, nullptr};
  EmbeddingView3D* views3d_[2] = {nullptr, nullptr};
  QLabel* legend_ = nullptr;
  QTableWidget* numbers_ = nullptr;
  QLabel* verdict_ = nullptr;
  std::shared_ptr<const EmbeddingMap> shown_[2];
  std::shared_ptr<const EmbeddingResult> result_;
  std::vector<std::shared_ptr<const EmbeddingResult>> cache_;
  int iterations_ = 1000;
  int partials_ = 0;
  bool updating_ = false, shownOnce_ = false;
};

}  // namespace mlsan::ui
