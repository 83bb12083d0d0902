// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel: retrain ML-SAN, MultiEMO or any ablation, or run the paper's Table 2 or
// its lambda sweep over seeds, as `mlsan train` child processes (ExperimentJob), with live
// per-epoch curves (training and validation loss, validation weighted F1, learning rate), an
// ETA, a log, a queue view of the runs, cancel and resume. Results become a table of mean +-
// std, deltas and paired p-values, exportable as CSV, Markdown and LaTeX (the same code as
// `mlsan ablation`/`sweep`/`collect`). Finished runs join the run list; a single run opens in
// every view (openRunRequested). A finished run's curves can be shown from the list.
// GUI thread only.
#include <QString>
#include <QVariantMap>
#include <QWidget>
#include <optional>
#include <vector>

#include "mlsan/experiments/experiment.h"
#include "mlsan/experiments/results.h"
#include "mlsan/experiments/runner.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QChart;
class QLineSeries;
class QValueAxis;

namespace mlsan::ui {

class ExperimentJob;
class StudioState;

class TrainingPanel : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { Single, Ablation, LambdaSweep };
  /// `runsRoot` "" = "runs" in the working directory (where `mlsan` puts its runs).
  explicit TrainingPanel(StudioState& state, QWidget* parent = nullptr, QString runsRoot = {});
  ~TrainingPanel() override;

  // --- the form (also for tests)
  void setKind(Kind kind);
  void setCorpus(const QString& source);
  void setVariant(const QString& variant);  ///< "mlsan", "multiemo" or "custom"
  void setSwitches(bool film, bool gate, bool aux);
  void setEpochs(int epochs);
  void setSeeds(const QString& seeds);      ///< "1", "1,2,3", "1-3"
  void setThreads(int threads);
  void setParallel(int processes);
  void setLambdas(const QString& lambdas);
  void setRunsRoot(const QString& root);
  const QString& runsRoot() const { return runsRoot_; }
  /// The training options the form describes (one seed: the first).
  experiments::TrainArgs trainArgs() const;

  /// Starts what the form describes. False with `error` when the form is invalid or busy.
  bool start(QString* error = nullptr);
  void cancel();
  /// Continues an unfinished run folder from its last completed epoch.
  bool resume(const QString& runDir, QString* error = nullptr);
  bool busy() const;
  /// The experiment folder of the last start ("" before).
  const QString& currentRoot() const { return root_; }
  /// Task states of the current queue.
  const std::vector<experiments::TaskStatus>& tasks() const { return status_; }

  /// Shows a run folder's curves.csv in the charts. False with `error` naming the file.
  bool showRunCurves(const QString& runDir, QString* error = nullptr);
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
  QTableWidget* runList() const { return runList_; }
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
  struct Curve {
    std::vector<double> epoch, trainLoss, valLoss, valF1, lr;
  };
  void buildUi();
  void onTaskChanged(int task, const experiments::TaskStatus& s);
  void onTaskEpoch(int task, const QVariantMap& record);
  void onFinished(const std::vector<experiments::TaskStatus>& statuses, const QString& error);
  void startTasks(std::vector<experiments::ChildTask> tasks, std::vector<QString> dirs, int parallel);
  void showCurve(const Curve& c, const QString& title);
  void updateResults();
  void updateEta();
  void updateEnabled();
  void appendLog(const QString& line);
  void exportDialog(const QString& filter, const QString& suffix);

  StudioState& state_;
  QString runsRoot_;
  QString root_;
  ExperimentJob* job_ = nullptr;
  std::optional<experiments::Experiment> experiment_;
  std::optional<experiments::ResultTable> results_;
  std::vector<experiments::TaskStatus> status_;
  std::vector<QString> taskDirs_;
  std::vector<Curve> curves_;
  int watched_ = 0;
  qint64 startedMs_ = 0;

  QComboBox *kind_ = nullptr, *variant_ = nullptr, *gateInput_ = nullptr, *device_ = nullptr;
  QLineEdit *corpus_ = nullptr, *seeds_ = nullptr, *lambdas_ = nullptr, *rootEdit_ = nullptr;
  QCheckBox *film_ = nullptr, *gate_ = nullptr, *aux_ = nullptr;
  QDoubleSpinBox *lambda_ = nullptr, *lr_ = nullptr;
  QSpinBox *epochs_ = nullptr, *batch_ = nullptr, *threads_ = nullptr, *parallel_ = nullptr;
  QPushButton *start_ = nullptr, *cancel_ = nullptr, *resume_ = nullptr;
  QPushButton *exportCsv_ = nullptr, *exportMd_ = nullptr, *exportTex_ = nullptr;
  QPushButton *showRun_ = nullptr, *showCurves_ = nullptr, *refresh_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* eta_ = nullptr;
  QLabel* curveTitle_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QTableWidget *queue_ = nullptr, *resultTable_ = nullptr, *runList_ = nullptr;
  QChart *lossChart_ = nullptr, *f1Chart_ = nullptr, *lrChart_ = nullptr;
  QLineSeries *trainLoss_ = nullptr, *valLoss_ = nullptr, *valF1_ = nullptr, *lrSeries_ = nullptr;
};

}  // namespace mlsan::ui
