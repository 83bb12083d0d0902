// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The work behind the embedding views, off the GUI thread: load a run's model, infer the
// features of one split, draw the same utterances' features at two stages of the model (raw and
// after FiLM, or after the projection and after the gate; or the fused representation alone),
// embed each with t-SNE (analysis/tsne.h) reporting partial layouts as it goes, and measure the
// disentanglement numbers of every stage of that modality (raw, FiLM, projection, gate). Results
// come back on the GUI thread as signals; a newer start() or cancel() drops an older job's results.
// Create and use on the GUI thread.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>
#include <vector>

#include "mlsan/analysis/disentangle.h"
#include "mlsan/data/corpus.h"
#include "mlsan/model/feature_sets.h"

namespace mlsan::ui {

struct EmbeddingRequest {
  QString runDir;
  std::shared_ptr<const data::Corpus> corpus;
  /// The right-hand map's features; the left-hand map shows model::previousStage(kind) (none for
  /// the raw kinds and Fused).
  model::FeatureKind kind = model::FeatureKind::AudioFilm;
  data::Split split = data::Split::Test;
  int maxPoints = 1500;  ///< a fixed subsample of the split's utterances (0 = all)
  int dims = 2;
  int iterations = 1000;
  std::uint64_t seed = 1;
  int threads = 2;
  bool operator==(const EmbeddingRequest& o) const {
    return runDir == o.runDir && corpus == o.corpus && kind == o.kind && split == o.split && maxPoints == o.maxPoints && dims == o.dims &&
           iterations == o.iterations && seed == o.seed;
  }
};

/// One map: a feature set's layout and who each point is.
struct EmbeddingMap {
  model::FeatureKind kind = model::FeatureKind::Fused;
  int dims = 2;
  std::vector<float> layout;  ///< [rows x dims]; partial while the job runs
  std::vector<int> speaker, emotion, dialogue, index;
  analysis::DisentangleNumbers numbers;  ///< of the features (not the layout); final maps only
  double klDivergence = 0;
  int iteration = 0, iterations = 0;
  bool final = false;
  std::size_t rows() const { return speaker.size(); }
};

/// One stage of the modality and its numbers (measured on the same utterances as the maps).
struct EmbeddingStage {
  model::FeatureKind kind = model::FeatureKind::Fused;
  analysis::DisentangleNumbers numbers;
  bool mapped = false;  ///< one of the two maps shows it
};

struct EmbeddingResult {
  EmbeddingRequest request;
  bool film = false;  ///< the run calibrates with FiLM (else calibrated = raw)
  bool gate = false;  ///< the run has the speaker gate (else "after the gate" = the context features)
  std::vector<std::shared_ptr<const EmbeddingMap>> maps;  ///< before, after (or just one map)
  /// Every stage of the modality in the model's order (raw, FiLM, projection, gate), or Fused alone.
  std::vector<EmbeddingStage> stages;
  double seconds = 0;
};


class EmbeddingJob : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  ~EmbeddingJob() override;
  void start(const EmbeddingRequest& request);
  void cancel();
  bool busy() const { return busy_; }

 signals:
  /// A stage ("Inferring features", "t-SNE of Audio (raw)", ...) and the overall share done.
  void progress(QString stage, int percent);
  /// A map's layout so far (side 0 = before, 1 = after; the fused map is side 1).
  void partial(int side, std::shared_ptr<const mlsan::ui::EmbeddingMap> map);
  void finished(std::shared_ptr<const mlsan::ui::EmbeddingResult> result);
  void failed(QString error);
  void cancelled();

 private:
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::shared_ptr<std::atomic<int>> generation_ = std::make_shared<std::atomic<int>>(0);
  bool busy_ = false;
};

}  // namespace mlsan::ui
