// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Runs `mlsan train` child processes (an experiment's tasks, or one run) on a worker thread
// through experiments::runChildren, or submits an experiment to Slurm and follows it
// (experiments/cluster.h), and reports on the GUI thread by queued signals, the same for both.
// cancel() asks local children to stop at their next batch, or scancels a cluster experiment
// (and follows it until its tasks have stopped); the destructor stops local children, but only
// stops *following* a cluster experiment: its jobs keep running, and the studio finds them
// again (TrainingPanel::openExperiment). Create and use on the GUI thread.
#include <QObject>
#include <QString>
#include <QVariantMap>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "mlsan/experiments/cluster.h"
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
  /// Submits `e` (planned in `root`) with `options` when `submit`, else follows the earlier
  /// submission `existing`; then follows it every `poll` seconds until every task has ended.
  bool startCluster(experiments::Experiment e, std::string root, experiments::SlurmOptions options, bool submit,
                    experiments::Submission existing, double poll, QString* error = nullptr);
  void cancel();
  bool busy() const { return busy_; }
  /// Following a cluster experiment (not running local children).
  bool onCluster() const { return onCluster_; }
  /// Called on the GUI thread when a worker's work has ended (not for callers).
  void finishWork(const std::vector<experiments::TaskStatus>& result, const QString& error);
  /// The mlsan program the children run ($MLSAN_BIN, beside the studio, or on PATH).
  static QString program();

 signals:
  void taskChanged(int task, mlsan::experiments::TaskStatus status);
  /// One epoch record of a task: epoch, epochs, train_loss, val_loss, val_weighted_f1, lr, ...
  void taskEpoch(int task, QVariantMap record);
  void taskLog(int task, QString line);
  /// A cluster experiment was submitted (or found again): its Slurm job id, "" when nothing had to run.
  void submitted(QString jobId, QString submittedAt);
  /// All children have ended (statuses in task order); `error` when the pool could not run.
  void finished(std::vector<mlsan::experiments::TaskStatus> statuses, QString error);

 private:
  /// Marks the job busy for new work (joining an ended worker). False with `error` when busy.
  bool begin(bool cluster, QString* error);
  std::shared_ptr<std::atomic<bool>> cancel_, quit_;
  std::thread worker_;
  bool busy_ = false, onCluster_ = false;
};

}  // namespace mlsan::ui

Q_DECLARE_METATYPE(mlsan::experiments::TaskStatus)
