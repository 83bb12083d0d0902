// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/training_panel.h"

#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "mlsan/model/config.h"
#include "mlsan/model/run.h"
#include "table_widgets.h"
#include "mlsan/ui/attribution_chart.h"
#include "mlsan/ui/experiment_job.h"
#include "mlsan/ui/run_list.h"
#include "mlsan/ui/studio_state.h"
#include "mlsan/ui/training_curves.h"

namespace mlsan::ui {
namespace ex = experiments;

namespace {
QString num(double v, int digits = 2) { return std::isfinite(v) ? QString::number(v, 'f', digits) : QString(); }

QString clockText(double s) {
  const int t = static_cast<int>(s + 0.5);
  return t >= 3600 ? QString("%1:%2:%3").arg(t / 3600).arg(t / 60 % 60, 2, 10, QChar('0')).arg(t % 60, 2, 10, QChar('0'))
                   : QString("%1:%2").arg(t / 60).arg(t % 60, 2, 10, QChar('0'));
}
}  // namespace

TrainingPanel::TrainingPanel(StudioState& state, QWidget* parent, QString runsRoot)
    : QWidget(parent), state_(state), runsRoot_(runsRoot.isEmpty() ? QDir::current().absoluteFilePath("runs") : runsRoot) {
  setObjectName("trainingPanel");
  job_ = new ExperimentJob(this);

  // Left: the form, the buttons, progress and ETA; it scrolls rather than widening the window.
  form_ = new TrainingForm(runsRoot_);
  start_ = new QPushButton(tr("Start"));
  start_->setObjectName("trainStart");
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setObjectName("trainCancel");
  resume_ = new QPushButton(tr("Resume selected"));
  resume_->setToolTip(tr("Continue the run selected in the list from its last completed epoch"));
  openExperiment_ = new QPushButton(tr("Open experiment…"));
  openExperiment_->setObjectName("trainOpenExperiment");
  openExperiment_->setToolTip(tr("Show an experiment folder's runs again: one submitted to a cluster is followed on"));
  auto* buttons = new QHBoxLayout;
  for (auto* b : {start_, cancel_, resume_}) buttons->addWidget(b);
  auto* buttons2 = new QHBoxLayout;
  buttons2->addWidget(openExperiment_);
  buttons2->addStretch();
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  eta_ = new QLabel(tr("Idle"));
  eta_->setObjectName("trainEta");
  eta_->setWordWrap(true);
  auto* left = new QWidget;
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->addWidget(form_);
  leftLayout->addLayout(buttons);
  leftLayout->addLayout(buttons2);
  leftLayout->addWidget(progress_);
  leftLayout->addWidget(eta_);
  leftLayout->addStretch();
  auto* leftScroll = new QScrollArea;
  leftScroll->setWidget(left);
  leftScroll->setWidgetResizable(true);
  leftScroll->setFrameShape(QFrame::NoFrame);
  leftScroll->setMinimumWidth(260);

  // Right: the curves above the queue, results, runs and log.
  curvesView_ = new TrainingCurves;
  auto* rightSplit = new QSplitter(Qt::Vertical);
  rightSplit->addWidget(curvesView_);
  rightSplit->addWidget(buildQueueTabs());
  rightSplit->setStretchFactor(0, 3);
  rightSplit->setStretchFactor(1, 2);
  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(leftScroll);
  split->addWidget(rightSplit);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->addWidget(split);

  connect(start_, &QPushButton::clicked, this, [this] {
    QString err;
    if (!start(&err)) warn(tr("Training"), err);
  });
  connect(cancel_, &QPushButton::clicked, this, &TrainingPanel::cancel);
  connect(openExperiment_, &QPushButton::clicked, this, [this] {
    const QString d = QFileDialog::getExistingDirectory(this, tr("Experiment folder"), runsRoot_);
    QString err;
    if (!d.isEmpty() && !openExperiment(d, &err)) warn(tr("Open experiment"), err);
  });
  connect(resume_, &QPushButton::clicked, this, [this] {
    QString err;
    const QString d = runs_->selectedRun();
    if (d.isEmpty()) err = tr("Select a run in the list first.");
    else if (resume(d, &err)) return;
    warn(tr("Resume"), err);
  });
  connect(form_, &TrainingForm::runsRootEdited, this, &TrainingPanel::setRunsRoot);
  connect(runs_, &RunList::showRunRequested, this, &TrainingPanel::openRunRequested);
  connect(runs_, &RunList::showCurvesRequested, this, [this](const QString& d) {
    QString err;
    if (!showRunCurves(d, &err)) warn(tr("Curves"), err);
  });
  connect(runs_, &RunList::overlayCurvesRequested, this, [this](const QString& d) {
    QString err;
    if (!overlayRunCurves(d, &err)) warn(tr("Curves"), err);
  });
  connect(job_, &ExperimentJob::taskChanged, this, &TrainingPanel::onTaskChanged);
  connect(job_, &ExperimentJob::taskEpoch, this, &TrainingPanel::onTaskEpoch);
  connect(job_, &ExperimentJob::taskLog, this, [this](int task, const QString& line) {
    appendLog(task < 0 ? line : QString("[%1] %2").arg(task + 1).arg(line));
  });
  connect(job_, &ExperimentJob::finished, this, &TrainingPanel::onFinished);
  connect(job_, &ExperimentJob::submitted, this, &TrainingPanel::onSubmitted);
  connect(&state_, &StudioState::corpusChanged, this, [this] {
    if (!busy() && !state_.corpusSource().isEmpty()) form_->setCorpus(state_.corpusSource());
  });
  if (!state_.corpusSource().isEmpty()) form_->setCorpus(state_.corpusSource());
  runs_->setRoot(runsRoot_);
  updateEnabled();
  // A cluster experiment submitted before the studio was last closed is followed again.
  QTimer::singleShot(0, this, [this] { followUnfinishedSubmission(); });
}

TrainingPanel::~TrainingPanel() = default;

QWidget* TrainingPanel::buildQueueTabs() {
  queue_ = new QTableWidget(0, 7);
  queue_->setObjectName("trainQueue");
  queue_->setHorizontalHeaderLabels({tr("Run"), tr("State"), tr("Epoch"), tr("Val W-F1"), tr("Test W-F1"), tr("Time"), tr("Note")});
  queue_->setSelectionBehavior(QAbstractItemView::SelectRows);
  queue_->setSelectionMode(QAbstractItemView::SingleSelection);
  queue_->horizontalHeader()->setStretchLastSection(true);
  queue_->verticalHeader()->hide();
  queue_->setWordWrap(false);
  connect(queue_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0 && row < static_cast<int>(curves_.size())) watch(row);
  });

  resultTable_ = new QTableWidget(0, 5);
  resultTable_->setObjectName("trainResults");
  resultTable_->setHorizontalHeaderLabels({tr("Variant"), tr("W-F1 mean ± std"), tr("Δ"), tr("p (paired)"), tr("Runs")});
  resultTable_->horizontalHeader()->setStretchLastSection(true);
  resultTable_->verticalHeader()->hide();
  exportCsv_ = new QPushButton(tr("Export CSV…"));
  exportMd_ = new QPushButton(tr("Export Markdown…"));
  exportTex_ = new QPushButton(tr("Export LaTeX…"));
  auto* resultsPage = new QWidget;
  layOutTablePage(resultsPage, resultTable_, {exportCsv_, exportMd_, exportTex_});
  attribution_ = new AttributionChart;
  attribution_->hide();  // shown for a factorial experiment
  auto* resultsLayout = static_cast<QVBoxLayout*>(resultsPage->layout());
  resultsLayout->setStretch(0, 1);  // the table keeps room for its rows beside the chart
  resultsLayout->addWidget(attribution_, 2);
  connect(exportCsv_, &QPushButton::clicked, this, [this] { exportDialog(tr("CSV (*.csv)"), ".csv"); });
  connect(exportMd_, &QPushButton::clicked, this, [this] { exportDialog(tr("Markdown (*.md)"), ".md"); });
  connect(exportTex_, &QPushButton::clicked, this, [this] { exportDialog(tr("LaTeX (*.tex)"), ".tex"); });

  runs_ = new RunList;
  log_ = new QPlainTextEdit;
  log_->setObjectName("trainLog");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);

  auto* tabs = new QTabWidget;
  tabs->setObjectName("trainTabs");
  tabs->addTab(queue_, tr("Queue"));
  tabs->addTab(resultsPage, tr("Results"));
  tabs->addTab(runs_, tr("Runs"));
  tabs->addTab(log_, tr("Log"));
  return tabs;
}

void TrainingPanel::updateEnabled() {
  const bool running = busy();
  form_->setRunning(running);
  start_->setEnabled(!running);
  resume_->setEnabled(!running);
  openExperiment_->setEnabled(!running);
  cancel_->setEnabled(running);
  cancel_->setText(running && job_->onCluster() ? tr("Cancel on the cluster") : tr("Cancel"));
  for (auto* b : {exportCsv_, exportMd_, exportTex_}) b->setEnabled(results_.has_value());
}

void TrainingPanel::setRunsRoot(const QString& root) {
  runsRoot_ = QDir(root).absolutePath();
  form_->setRunsRoot(runsRoot_);
  runs_->setRoot(runsRoot_);
}

bool TrainingPanel::busy() const { return job_->busy(); }
QTableWidget* TrainingPanel::runList() const { return runs_->table(); }
void TrainingPanel::refreshRunList() { runs_->refresh(); }
QStringList TrainingPanel::listedRuns() const { return runs_->runs(); }
int TrainingPanel::curvePoints() const { return curvesView_->points(); }
void TrainingPanel::appendLog(const QString& line) { log_->appendPlainText(line); }
void TrainingPanel::warn(const QString& title, const QString& text) { QMessageBox::warning(this, title, text); }

bool TrainingPanel::start(QString* error) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy()) return fail(tr("Training is already running."));
  ex::TrainArgs args = form_->trainArgs();
  if (args.corpus.empty()) return fail(tr("Choose a corpus ('demo' for the built-in one)."));
  ex::Experiment e;
  QString name;
  try {
    const std::vector<std::uint64_t> seeds = form_->seeds();
    switch (form_->kind()) {
      case Kind::Ablation:
        e = ex::Experiment::ablation(args, seeds);
        name = "ablation";
        break;
      case Kind::Factorial:
        e = ex::Experiment::factorial(args, seeds);
        name = "factorial";
        break;
      case Kind::Comparison:
        e = ex::Experiment::comparison(args, seeds);
        name = "comparison";
        break;
      case Kind::LambdaSweep: {
        std::string dataset = "demo";
        if (state_.hasCorpus() && state_.corpusSource().toStdString() == args.corpus) dataset = state_.corpus()->dataset;
        const double reference = model::preset(model::presetForDataset(dataset)).model.lambda;
        args.lambda = -1;
        e = ex::Experiment::lambdaSweep(args, form_->lambdas(), reference, seeds);
        name = "sweep";
        break;
      }
      case Kind::Single:
        e = ex::Experiment::seedRuns(args, seeds);
        name = QString::fromStdString(args.isMultiEmo() ? "multiemo" : args.variantTitle() == "ML-SAN" ? "mlsan" : "ablated");
        break;
    }
  } catch (const std::exception& ex) {
    return fail(QString::fromStdString(ex.what()));
  }
  QString tag = QString::fromStdString(args.corpus);
  tag.replace(QRegularExpression("[^A-Za-z0-9]+"), "_");
  // One folder per corpus and set of shared options (epochs, lr, ...): runs are kept by
  // configuration and seed, so Table 2, the factorial, a sweep and single runs with the same
  // options reuse each other's finished runs. Should that folder refuse (it holds runs of other
  // options, which the digest makes unlikely), a new, dated one is used.
  QString root = QDir(runsRoot_).absoluteFilePath(
      QString("experiments-%1-%2").arg(tag.right(40), QString::fromStdString(ex::sharedOptionsDigest(e.base))));
  try {
    e.save(root.toStdString());
  } catch (const std::exception& shared) {
    appendLog(tr("not sharing %1: %2").arg(root, QString::fromUtf8(shared.what())));
    root = QDir(runsRoot_).absoluteFilePath(
        QString("%1-%2-%3").arg(name, tag.right(40), QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss")));
    try {
      e.save(root.toStdString());
    } catch (const std::exception& ex) {
      return fail(QString::fromStdString(ex.what()));
    }
  }
  root_ = root;
  experiment_ = e;
  results_.reset();
  if (form_->runOnCluster()) return startOnCluster(error);
  std::vector<QString> dirs;
  for (const auto& t : e.tasks) dirs.push_back(QDir(root).absoluteFilePath(QString::fromStdString(t.dir)));
  auto children = ex::experimentChildren(e, root.toStdString());
  for (std::size_t i = 0; i < children.size(); ++i) children[i].label = e.tasks[i].label();
  appendLog(tr("%1: %2 run(s) in %3").arg(QString::fromStdString(e.kindName())).arg(children.size()).arg(root));
  startTasks(std::move(children), std::move(dirs), form_->parallel());
  return true;
}

bool TrainingPanel::resume(const QString& runDir, QString* error) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy()) return fail(tr("Training is already running."));
  ex::TrainArgs a;
  try {
    a = ex::TrainArgs::fromRun(runDir.toStdString());
  } catch (const std::exception& e) {
    return fail(tr("Cannot tell how the run was trained: %1").arg(QString::fromUtf8(e.what())));
  }
  a.threads = form_->threads();
  root_ = QFileInfo(runDir).absoluteFilePath();
  experiment_.reset();
  results_.reset();
  attribution_->hide();
  std::vector<ex::ChildTask> tasks{{ex::trainCommand(a, root_.toStdString(), true), QFileInfo(runDir).fileName().toStdString()}};
  appendLog(tr("resuming %1").arg(root_));
  startTasks(std::move(tasks), {root_}, 1);
  return true;
}

void TrainingPanel::prepareQueue(const std::vector<std::string>& labels, std::vector<QString> dirs) {
  status_.assign(labels.size(), {});
  curves_.assign(labels.size(), {});
  taskDirs_ = std::move(dirs);
  watched_ = 0;
  queue_->setRowCount(static_cast<int>(labels.size()));
  for (int i = 0; i < static_cast<int>(labels.size()); ++i) {
    queue_->setItem(i, 0, readOnlyCell(QString::fromStdString(labels[i])));
    for (int c = 1; c < 7; ++c) queue_->setItem(i, c, readOnlyCell(c == 1 ? tr("queued") : QString(), c >= 2 && c <= 5));
  }
  queue_->resizeColumnsToContents();
  curvesView_->show({}, labels.empty() ? QString() : QString::fromStdString(labels[0]));
  startedMs_ = QDateTime::currentMSecsSinceEpoch();
}

void TrainingPanel::jobStarted(bool ok, const QString& err) {
  if (!ok) {
    appendLog(err);
    eta_->setText(err);
    warn(tr("Training"), err);
    return;
  }
  eta_->setText(tr("Starting…"));
  updateEnabled();
  emit busyChanged(true);
}

void TrainingPanel::startTasks(std::vector<ex::ChildTask> tasks, std::vector<QString> dirs, int parallel) {
  std::vector<std::string> labels;
  for (const auto& t : tasks) labels.push_back(t.label);
  prepareQueue(labels, std::move(dirs));
  clusterJob_.clear();
  QString err;
  const bool ok = job_->start(std::move(tasks), parallel, &err);
  jobStarted(ok, err);
}

void TrainingPanel::cancel() {
  if (!busy()) return;
  job_->cancel();
  eta_->setText(job_->onCluster() ? tr("Cancelling on the cluster (scancel): the running tasks stop at their next batch")
                                  : tr("Cancelling: the runs stop at their next batch"));
  appendLog(tr("cancel requested"));
}

void TrainingPanel::watch(int task) {
  watched_ = task;
  curvesView_->show(curves_[static_cast<std::size_t>(task)], queue_->item(task, 0)->text());
}

void TrainingPanel::onTaskChanged(int task, const ex::TaskStatus& s) {
  if (task < 0 || task >= static_cast<int>(status_.size())) return;
  status_[task] = s;
  queue_->item(task, 1)->setText(QString::fromUtf8(ex::stateName(s.state)));
  queue_->item(task, 2)->setText(s.epochs > 0 ? QString("%1/%2").arg(s.epoch).arg(s.epochs) : QString());
  queue_->item(task, 3)->setText(num(s.valF1));
  queue_->item(task, 4)->setText(num(s.testF1));
  queue_->item(task, 5)->setText(s.state == ex::TaskState::Queued ? QString() : clockText(s.seconds));
  queue_->item(task, 6)->setText(QString::fromStdString(s.message));
  for (int c : {1, 2, 6}) queue_->resizeColumnToContents(c);  // states and notes change length (Slurm's reasons)
  const QColor colour = s.state == ex::TaskState::Failed      ? QColor(200, 40, 40)
                        : s.state == ex::TaskState::Done      ? QColor(30, 130, 60)
                        : s.state == ex::TaskState::Cancelled ? QColor(150, 110, 20)
                                                              : palette().color(QPalette::Text);
  queue_->item(task, 1)->setForeground(colour);
  // Follow the first running task unless the user picked one.
  if (s.state == ex::TaskState::Running && queue_->currentRow() < 0 &&
      (watched_ >= static_cast<int>(status_.size()) || status_[watched_].state != ex::TaskState::Running) && watched_ != task)
    watch(task);
  if (s.state == ex::TaskState::Done) {
    // A run found already finished (reused from an earlier experiment) reports no epochs: its
    // curves come from its folder.
    auto& curves = curves_[static_cast<std::size_t>(task)];
    if (curves.empty() && task < static_cast<int>(taskDirs_.size())) {
      try {
        curves = model::readCurves(model::RunPaths(taskDirs_[static_cast<std::size_t>(task)].toStdString()).curves());
      } catch (const std::exception& e) {
        appendLog(tr("no curves for %1: %2").arg(queue_->item(task, 0)->text(), QString::fromUtf8(e.what())));
      }
      if (task == watched_) watch(task);
    }
    updateResults();
    refreshRunList();
  }
  updateEta();
}

void TrainingPanel::onTaskEpoch(int task, const QVariantMap& r) {
  if (task < 0 || task >= static_cast<int>(curves_.size())) return;
  model::EpochRecord e;
  e.epoch = r.value("epoch").toInt();
  e.trainLoss = r.value("train_loss").toDouble();
  e.valLoss = r.value("val_loss").toDouble();
  e.valWeightedF1 = r.value("val_weighted_f1").toDouble();
  e.lr = r.value("lr").toDouble();
  curves_[static_cast<std::size_t>(task)].push_back(e);
  if (task == watched_) watch(task);
}

void TrainingPanel::updateEta() {
  if (status_.empty()) return;
  const ex::QueueProgress q = ex::queueProgress(status_);
  progress_->setValue(static_cast<int>(q.fraction * 1000));
  const double elapsed = (QDateTime::currentMSecsSinceEpoch() - startedMs_) / 1000.0;
  QString text = tr("%1 of %2 runs ended, %3 running").arg(q.ended).arg(q.tasks).arg(q.running);
  if (q.failed) text += tr(", %1 failed").arg(q.failed);
  text += tr("; %1 elapsed").arg(clockText(elapsed));
  const double left = q.remainingSeconds(elapsed);
  if (busy() && std::isfinite(left)) text += tr(", ETA %1").arg(clockText(left));
  eta_->setText(text);
}

void TrainingPanel::onFinished(const std::vector<ex::TaskStatus>& statuses, const QString& error) {
  if (!error.isEmpty()) {
    appendLog(error);
    warn(tr("Training"), error);
  }
  bool allDone = !statuses.empty() && error.isEmpty();
  int cancelled = 0;
  QString firstFailure;
  for (const auto& s : statuses) {
    allDone = allDone && s.state == ex::TaskState::Done;
    cancelled += s.state == ex::TaskState::Cancelled;
    if (s.state == ex::TaskState::Failed && firstFailure.isEmpty()) firstFailure = QString::fromStdString(s.message);
  }
  updateResults();
  refreshRunList();
  updateEta();
  updateEnabled();
  if (cancelled) eta_->setText(eta_->text() + tr(" — cancelled; Start again (or Resume) continues from the last epoch"));
  if (!firstFailure.isEmpty()) eta_->setText(eta_->text() + tr(" — failed: %1").arg(firstFailure));
  // A single run opens in every view at once.
  if (statuses.size() == 1 && statuses[0].state == ex::TaskState::Done && !taskDirs_.empty()) emit openRunRequested(taskDirs_[0]);
  emit busyChanged(false);
  emit queueFinished(allDone);
}

void TrainingPanel::updateResults() {
  if (!experiment_) return;
  results_ = ex::collectResults(*experiment_, root_.toStdString());
  const auto& t = *results_;
  resultTable_->setRowCount(static_cast<int>(t.rows.size()));
  for (int i = 0; i < static_cast<int>(t.rows.size()); ++i) {
    const auto& r = t.rows[i];
    QString ms = std::isfinite(r.mean) ? num(r.mean) : QString("–");
    if (std::isfinite(r.std)) ms += " ± " + num(r.std);
    resultTable_->setItem(i, 0, readOnlyCell(QString::fromStdString(r.title)));
    resultTable_->setItem(i, 1, readOnlyCell(ms, true));
    resultTable_->setItem(i, 2, readOnlyCell(r.reference ? QString("—") : std::isfinite(r.delta) ? QString::asprintf("%+.2f", r.delta) : QString(), true));
    resultTable_->setItem(i, 3, readOnlyCell(r.reference ? QString("—") : std::isfinite(r.pValue) ? QString::number(r.pValue, 'g', 3) : QString(), true));
    resultTable_->setItem(i, 4, readOnlyCell(QString("%1/%2").arg(r.finished).arg(t.seeds.size()), true));
  }
  resultTable_->resizeColumnsToContents();
  attribution_->setVisible(t.factorial.has_value());
  attribution_->setAnalysis(t.factorial);
  updateEnabled();
}

bool TrainingPanel::exportResults(const QString& path, QString* error) {
  if (!results_) {
    if (error) *error = tr("No experiment results to export yet.");
    return false;
  }
  try {
    ex::exportTable(*results_, path.toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

void TrainingPanel::exportDialog(const QString& filter, const QString& suffix) {
  const QString path = QFileDialog::getSaveFileName(this, tr("Export results"), QDir(root_).absoluteFilePath("table" + suffix), filter);
  if (path.isEmpty()) return;
  QString err;
  if (!exportResults(path, &err)) warn(tr("Export"), err);
  else appendLog(tr("table written to %1").arg(path));
}

bool TrainingPanel::overlayRunCurves(const QString& runDir, QString* error) {
  try {
    const auto curve = model::readCurves(model::RunPaths(runDir.toStdString()).curves());
    if (curvesView_->overlay(curve, QDir(runsRoot_).relativeFilePath(runDir))) return true;
    if (error) *error = tr("Show a run's curves first (Show curves, or a run of the queue), then overlay another run on them.");
    return false;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

bool TrainingPanel::showRunCurves(const QString& runDir, QString* error) {
  try {
    curvesView_->show(model::readCurves(model::RunPaths(runDir.toStdString()).curves()), QDir(runsRoot_).relativeFilePath(runDir));
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

}  // namespace mlsan::ui
