// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Runs `mlsan train` child processes (an experiment's tasks, or one run) on a worker thread
// through experiments::runChildren, and reports on the GUI thread by queued signals. cancel()
// asks the children to stop at their next batch; the destructor cancels and waits. Create
// and use on the GUI thread.
#include <QObject>
#include <QString>
#include <QVariantMap>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "mlsan/experiments/runner.h"

namespace mlsan::ui {

class ExperimentJob : public QObject {
  Q_OBJECT
 public:
  explicit ExperimentJob(QObject* parent = nullptr);
  ~ExperimentJob() override;
  /// Starts the children with at most `parallel` at once. False (with `error`) when busy or
  /// when the mlsan program cannot be found.
  bool start(std::vector<experiments::ChildTask> tasks, int parallel, QString* error = nullptr);
  void cancel();
  bool busy() const { return busy_; }
  /// The mlsan program the children run ($MLSAN_BIN, beside the studio, or on PATH).
  static QString program();

 signals:
  void taskChanged(int task, mlsan::experiments::TaskStatus status);
  /// One epoch record of a task: epoch, epochs, train_loss, val_loss, val_weighted_f1, lr, ...
  void taskEpoch(int task, QVariantMap record);
  void taskLog(int task, QString line);
  /// All children have ended (statuses in task order); `error` when the pool could not run.
  void finished(std::vector<mlsan::experiments::TaskStatus> statuses, QString error);

 private:
  std::shared_ptr<std::atomic<bool>> cancel_;
  std::thread worker_;
  bool busy_ = false;
};

}  // namespace mlsan::ui

Q_DECLARE_METATYPE(mlsan::experiments::TaskStatus)
