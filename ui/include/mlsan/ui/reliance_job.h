// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Measures loaded runs' modality reliance (model/explain.h: 8 forward passes per batch, stored in
// the run folder and reused) on a worker thread, one run at a time, every split; each run comes
// back as a copy with its reliance, to replace the loaded one. Create and use on the GUI thread;
// the destructor cancels and waits.
#include <QFuture>
#include <QObject>
#include <QString>
#include <atomic>
#include <deque>
#include <memory>

#include "mlsan/data/corpus.h"
#include "mlsan/ui/run_data.h"

namespace mlsan::ui {

class RelianceJob : public QObject {
  Q_OBJECT
 public:
  using QObject::QObject;
  ~RelianceJob() override;
  /// Queues `run` (measured for `corpus`); a run of the same folder already queued is replaced.
  void add(std::shared_ptr<const RunData> run, std::shared_ptr<const data::Corpus> corpus);
  /// Drops the queue and stops the current run at its next batch (nothing is written for it).
  void cancel();
  bool busy() const { return running_ || !queue_.empty(); }

 signals:
  /// While measuring: `done` of `total` batches of the current split.
  void progress(QString runName, QString split, int done, int total);
  /// One run measured (`run` set) or not (`error` says why); `corpus` is the one it was for.
  void finished(std::shared_ptr<const mlsan::ui::RunData> run, QString error, QString name,
                std::shared_ptr<const mlsan::data::Corpus> corpus);

 private:
  struct Item {
    std::shared_ptr<const RunData> run;
    std::shared_ptr<const data::Corpus> corpus;
  };
  void next();
  std::deque<Item> queue_;
  bool running_ = false;
  std::shared_ptr<std::atomic<bool>> stop_ = std::make_shared<std::atomic<bool>>(false);
  QFuture<void> future_;
};

}  // namespace mlsan::ui
