// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Trains the models a first start shows on the demo corpus (ML-SAN, then MultiEMO) on its own
// worker thread into a cache folder, reporting progress as signals on the GUI thread; cancel()
// stops it at the next batch and the destructor cancels and waits. Create and use on the GUI
// thread.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

#include "mlsan/data/corpus.h"

class QThread;

namespace mlsan::ui {

/// Trains the models a first start shows on the demo corpus (ML-SAN, then MultiEMO), on one
/// worker thread, into a cache folder; a finished run there is reused on the next start.
class DemoModelTrainer : public QObject {
  Q_OBJECT
 public:
  /// `root` = "" uses data::defaultCacheDir()/demo-runs (the cache every part of the product shares).
  explicit DemoModelTrainer(QObject* parent = nullptr, QString root = {});
  ~DemoModelTrainer() override;
  /// The run folder for a variant ("mlsan" or "multiemo") of this corpus.
  QString runDir(const data::Corpus& corpus, const QString& variant) const;
  /// True when the run folder holds a finished run.
  static bool finished(const QString& dir);
  /// Trains whichever of the two is not finished yet. `epochs` 0 = the demo preset's.
  void start(std::shared_ptr<const data::Corpus> corpus, int epochs = 0, int threads = 2);
  void cancel() { cancel_->store(true); }
  bool busy() const { return busy_; }
 signals:
  /// Progress of the run in training: "Training ML-SAN on the demo corpus", epoch, of epochs.
  void progress(QString what, int epoch, int epochs, int batch, int batches);
  /// One run is ready (finished before or just now).
  void runReady(QString dir, std::shared_ptr<const mlsan::data::Corpus> corpus);
  void failed(QString error);
  void finishedAll(bool cancelled);

 private:
  QString root_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  bool busy_ = false;
  QThread* worker_ = nullptr;
};

}  // namespace mlsan::ui
