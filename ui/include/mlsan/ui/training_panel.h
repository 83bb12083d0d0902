// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel: retrain ML-SAN, MultiEMO or any ablation, or run the paper's Table 2, the
// factorial ablation (with its attribution chart) or the lambda sweep over seeds, as `mlsan train` child processes (ExperimentJob). It composes the
// form (TrainingForm), the live curves (TrainingCurves), the queue, the results table, the run
// list (RunList) and the log, and owns what happens between them: starting, resuming and
// cancelling runs, the ETA, and the result table of mean +- std, deltas and paired p-values
// (the same code as `mlsan ablation`/`sweep`/`collect`), exportable as CSV, Markdown and LaTeX.
// Finished runs join the run list; a single run opens in every view (openRunRequested). On a
// Slurm cluster (the form's "Run on") the runs are submitted and followed instead
// (training_panel_cluster.cpp), and found again when the studio reopens.
// GUI thread only.
#include <QString>
#include <QVariantMap>
#include <QWidget>
#include <optional>
#include <vector>

#include "mlsan/experiments/experiment.h"
#include "mlsan/experiments/results.h"
#include "mlsan/experiments/runner.h"
#include "mlsan/model/progress.h"
#include "mlsan/ui/training_form.h"

class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace mlsan::ui {

class AttributionChart;
class ExperimentJob;
class RunList;
class StudioState;
class TrainingCurves;

class TrainingPanel : public QWidget {
  Q_OBJECT
 public:
  using Kind = TrainingForm::Kind;
  /// `runsRoot` "" = "runs" in the working directory (where `mlsan` puts its runs).
  explicit TrainingPanel(StudioState& state, QWidget* parent = nullptr, QString runsRoot = {});
  ~TrainingPanel() override;

  /// What to run (also for tests).
  TrainingForm* form() const { return form_; }
  void setRunsRoot(const QString& root);
  const QString& runsRoot() const { return runsRoot_; }

  /// Starts what the form describes. False with `error` when the form is invalid or busy.
  bool start(QString* error = nullptr);
  void cancel();
  /// Continues an unfinished run folder from its last completed epoch.
  bool resume(const QString& runDir, QString* error = nullptr);
  /// Shows an experiment folder again: one submitted to a Slurm cluster (ROOT/slurm/<kind>.
  /// submission.json; `kind` "" = the one planned last) is followed until its tasks end, with
  /// their Slurm state and live curves; a local one shows its runs and table from the files.
  bool openExperiment(const QString& root, QString* error = nullptr, const QString& kind = {});
  /// The Slurm job being followed ("" when none).
  const QString& clusterJob() const { return clusterJob_; }
  bool busy() const;
  /// The experiment folder of the last start ("" before).
  const QString& currentRoot() const { return root_; }
  /// Task states of the current queue.
  const std::vector<experiments::TaskStatus>& tasks() const { return status_; }

  /// Shows a run folder's curves.csv in the charts. False with `error` naming the file.
  bool showRunCurves(const QString& runDir, QString* error = nullptr);
  /// Overlays a run folder's curves, dashed, on the curves shown, with the per-epoch gap of the
  /// test weighted F1 (the same computation as `mlsan compare`). False with `error` when no
  /// curves are shown or the file cannot be read.
  bool overlayRunCurves(const QString& runDir, QString* error = nullptr);
  /// The curve charts (for tests: overlay points, the gap line).
  TrainingCurves* curvesView() const { return curvesView_; }
  /// Re-reads the run list from the runs folder.
  void refreshRunList();
  /// Run folders listed (absolute paths).
  QStringList listedRuns() const;
  /// The result table of the current experiment (empty before one ran).
  const std::optional<experiments::ResultTable>& results() const { return results_; }
  /// Writes the result table by extension (.csv, .md, .tex, .json). False with `error`.
  bool exportResults(const QString& path, QString* error = nullptr);

  /// Points shown in the charts (for tests): train loss, val loss, val W-F1, lr.
  int curvePoints() const;
  QTableWidget* queueView() const { return queue_; }
  QTableWidget* resultView() const { return resultTable_; }
  /// The factorial experiment's attribution chart (hidden for other kinds).
  AttributionChart* attributionChart() const { return attribution_; }
  QTableWidget* runList() const;
  QPushButton* startButton() const { return start_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPlainTextEdit* log() const { return log_; }
  QLabel* etaLabel() const { return eta_; }

 signals:
  /// A finished run (single-run starts and Resume) should open in the studio's views.
  void openRunRequested(QString dir);
  /// The queue ended: all tasks done, or cancelled, or failed.
  void queueFinished(bool allDone);
  void busyChanged(bool busy);

 private:
  QWidget* buildQueueTabs();
  void onTaskChanged(int task, const experiments::TaskStatus& s);
  void onTaskEpoch(int task, const QVariantMap& record);
  void onFinished(const std::vector<experiments::TaskStatus>& statuses, const QString& error);
  void startTasks(std::vector<experiments::ChildTask> tasks, std::vector<QString> dirs, int parallel);
  void prepareQueue(const std::vector<std::string>& labels, std::vector<QString> dirs);
  void jobStarted(bool ok, const QString& err);
  // training_panel_cluster.cpp
  bool startOnCluster(QString* error);
  void onSubmitted(const QString& jobId, const QString& submittedAt);
  void followUnfinishedSubmission();
  void watch(int task);
  void updateResults();
  void updateEta();
  void updateEnabled();
  void appendLog(const QString& line);
  void warn(const QString& title, const QString& text);
  void exportDialog(const QString& filter, const QString& suffix);

  StudioState& state_;
  QString runsRoot_;
  QString root_;
  QString clusterJob_;
  ExperimentJob* job_ = nullptr;
  std::optional<experiments::Experiment> experiment_;
  std::optional<experiments::ResultTable> results_;
  std::vector<experiments::TaskStatus> status_;
  std::vector<QString> taskDirs_;
  std::vector<std::vector<model::EpochRecord>> curves_;  ///< per task, as its epochs come in
  int watched_ = 0;
  qint64 startedMs_ = 0;

  TrainingForm* form_ = nullptr;
  TrainingCurves* curvesView_ = nullptr;
  RunList* runs_ = nullptr;
  QPushButton *start_ = nullptr, *cancel_ = nullptr, *resume_ = nullptr, *openExperiment_ = nullptr;
  QPushButton *exportCsv_ = nullptr, *exportMd_ = nullptr, *exportTex_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* eta_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QTableWidget *queue_ = nullptr, *resultTable_ = nullptr;
  AttributionChart* attribution_ = nullptr;
};

}  // namespace mlsan::ui
