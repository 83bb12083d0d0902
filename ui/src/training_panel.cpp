// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/training_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QTabWidget>
#include <QVBoxLayout>
#include <QGridLayout>
#include <QRegularExpression>
#include <QThread>
#include <QtCharts/QChart>
#include <QtCharts/QChartView>
#include <QtCharts/QLineSeries>
#include <QtCharts/QValueAxis>
#include <cmath>
#include <nlohmann/json.hpp>

#include "mlsan/data/atomic_file.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"
#include "mlsan/ui/experiment_job.h"
#include "mlsan/ui/studio_state.h"

namespace mlsan::ui {
namespace ex = experiments;
using nlohmann::json;

namespace {
/// A tab page: a table above a row of buttons.
QWidget* tablePage(QWidget* table, std::initializer_list<QPushButton*> buttons) {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  layout->addWidget(table);
  auto* row = new QHBoxLayout;
  for (auto* b : buttons) row->addWidget(b);
  row->addStretch();
  layout->addLayout(row);
  return page;
}

QChart* makeChart(const QString& title, std::initializer_list<std::pair<QLineSeries**, QString>> series) {
  auto* chart = new QChart;
  chart->setTitle(title);
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(2, 2, 2, 2));
  auto* x = new QValueAxis;
  x->setTitleText(QObject::tr("epoch"));
  x->setLabelFormat("%d");
  auto* y = new QValueAxis;
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  for (const auto& [ptr, name] : series) {
    *ptr = new QLineSeries;
    (*ptr)->setName(name);
    (*ptr)->setPointsVisible(true);
    chart->addSeries(*ptr);
    (*ptr)->attachAxis(x);
    (*ptr)->attachAxis(y);
  }
  if (series.size() == 1) chart->legend()->hide();
  return chart;
}

void fitAxes(QChart* chart) {
  double x0 = 1, x1 = 2, y0 = 1e300, y1 = -1e300;
  for (auto* s : chart->series()) {
    for (const QPointF& p : static_cast<QLineSeries*>(s)->points()) {
      x1 = std::max(x1, p.x());
      y0 = std::min(y0, p.y());
      y1 = std::max(y1, p.y());
    }
  }
  if (y0 > y1) { y0 = 0; y1 = 1; }
  const double pad = y1 > y0 ? (y1 - y0) * 0.08 : std::max(1e-6, std::abs(y1) * 0.1);
  const auto h = chart->axes(Qt::Horizontal), v = chart->axes(Qt::Vertical);
  if (!h.isEmpty()) {
    auto* x = static_cast<QValueAxis*>(h.first());
    const double top = std::max(x1, x0 + 1);
    x->setRange(x0, top);
    x->setTickType(QValueAxis::TicksDynamic);
    x->setTickAnchor(x0);
    x->setTickInterval(std::max(1.0, std::ceil((top - x0) / 6)));
  }
  if (!v.isEmpty()) static_cast<QValueAxis*>(v.first())->setRange(y0 - pad, y1 + pad);
}

QTableWidgetItem* item(const QString& text, bool number = false) {
  auto* i = new QTableWidgetItem(text);
  i->setFlags(i->flags() & ~Qt::ItemIsEditable);
  if (number) i->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return i;
}

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
  buildUi();
  connect(job_, &ExperimentJob::taskChanged, this, &TrainingPanel::onTaskChanged);
  connect(job_, &ExperimentJob::taskEpoch, this, &TrainingPanel::onTaskEpoch);
  connect(job_, &ExperimentJob::taskLog, this, [this](int task, const QString& line) {
    appendLog(QString("[%1] %2").arg(task + 1).arg(line));
  });
  connect(job_, &ExperimentJob::finished, this, &TrainingPanel::onFinished);
  connect(&state_, &StudioState::corpusChanged, this, [this] {
    if (!busy() && !state_.corpusSource().isEmpty()) corpus_->setText(state_.corpusSource());
  });
  if (!state_.corpusSource().isEmpty()) corpus_->setText(state_.corpusSource());
  refreshRunList();
  updateEnabled();
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::buildUi() {
  // --- the form
  kind_ = new QComboBox;
  kind_->setObjectName("trainKind");
  kind_->addItem(tr("One configuration (over the seeds)"));
  kind_->addItem(tr("Table 2: ablation (full, w/o FiLM, w/o Gate, w/o Aux, MultiEMO)"));
  kind_->addItem(tr("Lambda sweep (section 4.5)"));
  // The long item must not set the panel's (and so the window's) minimum width.
  kind_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  kind_->setMinimumContentsLength(22);
  corpus_ = new QLineEdit("demo");
  corpus_->setObjectName("trainCorpus");
  corpus_->setToolTip(tr("'demo', a MultiEMO data folder, a pickle, a MELD CSV folder or an mlsan corpus folder"));
  variant_ = new QComboBox;
  variant_->setObjectName("trainVariant");
  variant_->addItem("ML-SAN", "mlsan");
  variant_->addItem("MultiEMO", "multiemo");
  variant_->addItem(tr("Custom (choose FiLM / Gate / Aux)"), "custom");
  film_ = new QCheckBox("FiLM");
  gate_ = new QCheckBox(tr("Gate"));
  aux_ = new QCheckBox(tr("Aux loss"));
  for (auto* c : {film_, gate_, aux_}) c->setChecked(true);
  auto* switches = new QHBoxLayout;
  for (auto* c : {film_, gate_, aux_}) switches->addWidget(c);
  switches->addStretch();
  gateInput_ = new QComboBox;
  gateInput_->addItem("speaker+context");
  gateInput_->addItem("speaker");
  lambda_ = new QDoubleSpinBox;
  lambda_->setRange(-1, 10);
  lambda_->setDecimals(3);
  lambda_->setSingleStep(0.1);
  lambda_->setValue(-1);
  lambda_->setSpecialValueText(tr("preset"));
  lr_ = new QDoubleSpinBox;
  lr_->setRange(0, 1);
  lr_->setDecimals(6);
  lr_->setSingleStep(1e-4);
  lr_->setSpecialValueText(tr("preset"));
  epochs_ = new QSpinBox;
  epochs_->setObjectName("trainEpochs");
  epochs_->setRange(0, 1000);
  epochs_->setSpecialValueText(tr("preset"));
  batch_ = new QSpinBox;
  batch_->setRange(0, 4096);
  batch_->setSpecialValueText(tr("preset"));
  seeds_ = new QLineEdit("1");
  seeds_->setObjectName("trainSeeds");
  seeds_->setToolTip(tr("One seed, a list (1,2,3) or a range (1-5): one run per seed"));
  lambdas_ = new QLineEdit("0,0.1,0.2,0.3,0.5,0.7,1");
  lambdas_->setToolTip(tr("The sweep's lambdas; the preset's lambda is added and is the reference row"));
  threads_ = new QSpinBox;
  threads_->setRange(1, 256);
  threads_->setValue(1);
  threads_->setToolTip(tr("CPU threads per training process"));
  parallel_ = new QSpinBox;
  parallel_->setRange(1, 64);
  parallel_->setValue(std::max(1, QThread::idealThreadCount()));
  parallel_->setToolTip(tr("Training processes at once"));
  device_ = new QComboBox;
  device_->addItem("cpu");
  if (model::cudaAvailable()) device_->addItem("cuda");
  rootEdit_ = new QLineEdit(runsRoot_);
  rootEdit_->setObjectName("trainRunsRoot");
  connect(rootEdit_, &QLineEdit::editingFinished, this, [this] { setRunsRoot(rootEdit_->text()); });

  auto* form = new QFormLayout;
  form->addRow(tr("What"), kind_);
  form->addRow(tr("Corpus"), corpus_);
  form->addRow(tr("Variant"), variant_);
  form->addRow(QString(), switches);
  form->addRow(tr("Gate input"), gateInput_);
  form->addRow(tr("Lambda (aux loss)"), lambda_);
  form->addRow(tr("Lambdas (sweep)"), lambdas_);
  form->addRow(tr("Learning rate"), lr_);
  form->addRow(tr("Epochs"), epochs_);
  form->addRow(tr("Batch size"), batch_);
  form->addRow(tr("Seeds"), seeds_);
  form->addRow(tr("Threads per run"), threads_);
  form->addRow(tr("Runs at once"), parallel_);
  form->addRow(tr("Device"), device_);
  form->addRow(tr("Runs folder"), rootEdit_);

  start_ = new QPushButton(tr("Start"));
  start_->setObjectName("trainStart");
  cancel_ = new QPushButton(tr("Cancel"));
  cancel_->setObjectName("trainCancel");
  resume_ = new QPushButton(tr("Resume selected"));
  resume_->setToolTip(tr("Continue the run selected in the list from its last completed epoch"));
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(start_);
  buttons->addWidget(cancel_);
  buttons->addWidget(resume_);
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  eta_ = new QLabel(tr("Idle"));
  eta_->setObjectName("trainEta");
  eta_->setWordWrap(true);

  auto* left = new QWidget;
  auto* leftLayout = new QVBoxLayout(left);
  auto* formBox = new QGroupBox(tr("Training"));
  formBox->setLayout(form);
  leftLayout->addWidget(formBox);
  leftLayout->addLayout(buttons);
  leftLayout->addWidget(progress_);
  leftLayout->addWidget(eta_);
  leftLayout->addStretch();

  // --- charts
  lossChart_ = makeChart(tr("Loss"), {{&trainLoss_, tr("train")}, {&valLoss_, tr("val")}});
  f1Chart_ = makeChart(tr("Val. weighted F1 (%)"), {{&valF1_, tr("val W-F1")}});
  lrChart_ = makeChart(tr("Learning rate"), {{&lrSeries_, tr("lr")}});
  curveTitle_ = new QLabel(tr("Curves appear here per epoch"));
  curveTitle_->setObjectName("trainCurveTitle");
  auto* charts = new QWidget;
  auto* chartsLayout = new QGridLayout(charts);
  chartsLayout->addWidget(curveTitle_, 0, 0, 1, 3);
  int col = 0;
  for (QChart* c : {lossChart_, f1Chart_, lrChart_}) {
    auto* view = new QChartView(c);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(160, 200);
    chartsLayout->addWidget(view, 1, col++);
  }

  // --- queue, results, runs, log
  queue_ = new QTableWidget(0, 7);
  queue_->setObjectName("trainQueue");
  queue_->setHorizontalHeaderLabels({tr("Run"), tr("State"), tr("Epoch"), tr("Val W-F1"), tr("Test W-F1"), tr("Time"), tr("Note")});
  queue_->setSelectionBehavior(QAbstractItemView::SelectRows);
  queue_->setSelectionMode(QAbstractItemView::SingleSelection);
  queue_->horizontalHeader()->setStretchLastSection(true);
  queue_->verticalHeader()->hide();
  connect(queue_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row < 0 || row >= static_cast<int>(curves_.size())) return;
    watched_ = row;
    showCurve(curves_[row], queue_->item(row, 0)->text());
  });
  resultTable_ = new QTableWidget(0, 5);
  resultTable_->setObjectName("trainResults");
  resultTable_->setHorizontalHeaderLabels({tr("Variant"), tr("W-F1 mean ± std"), tr("Δ"), tr("p (paired)"), tr("Runs")});
  resultTable_->horizontalHeader()->setStretchLastSection(true);
  resultTable_->verticalHeader()->hide();
  exportCsv_ = new QPushButton(tr("Export CSV…"));
  exportMd_ = new QPushButton(tr("Export Markdown…"));
  exportTex_ = new QPushButton(tr("Export LaTeX…"));
  auto* resultsPage = tablePage(resultTable_, {exportCsv_, exportMd_, exportTex_});
  connect(exportCsv_, &QPushButton::clicked, this, [this] { exportDialog(tr("CSV (*.csv)"), ".csv"); });
  connect(exportMd_, &QPushButton::clicked, this, [this] { exportDialog(tr("Markdown (*.md)"), ".md"); });
  connect(exportTex_, &QPushButton::clicked, this, [this] { exportDialog(tr("LaTeX (*.tex)"), ".tex"); });

  runList_ = new QTableWidget(0, 5);
  runList_->setObjectName("trainRunList");
  runList_->setHorizontalHeaderLabels({tr("Run folder"), tr("Variant"), tr("Epochs"), tr("Test W-F1"), tr("State")});
  runList_->setSelectionBehavior(QAbstractItemView::SelectRows);
  runList_->setSelectionMode(QAbstractItemView::SingleSelection);
  runList_->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
  runList_->verticalHeader()->hide();
  showRun_ = new QPushButton(tr("Show in views"));
  showCurves_ = new QPushButton(tr("Show curves"));
  refresh_ = new QPushButton(tr("Refresh"));
  auto* runsPage = tablePage(runList_, {showRun_, showCurves_, refresh_});
  auto selectedRun = [this]() -> QString {
    const int r = runList_->currentRow();
    return r >= 0 && runList_->item(r, 0) ? runList_->item(r, 0)->data(Qt::UserRole).toString() : QString();
  };
  connect(showRun_, &QPushButton::clicked, this, [this, selectedRun] {
    const QString d = selectedRun();
    if (!d.isEmpty()) emit openRunRequested(d);
  });
  connect(showCurves_, &QPushButton::clicked, this, [this, selectedRun] {
    QString err;
    const QString d = selectedRun();
    if (!d.isEmpty() && !showRunCurves(d, &err)) QMessageBox::warning(this, tr("Curves"), err);
  });
  connect(runList_, &QTableWidget::cellDoubleClicked, this, [this, selectedRun] {
    QString err;
    const QString d = selectedRun();
    if (!d.isEmpty() && !showRunCurves(d, &err)) QMessageBox::warning(this, tr("Curves"), err);
  });
  connect(refresh_, &QPushButton::clicked, this, &TrainingPanel::refreshRunList);
  connect(resume_, &QPushButton::clicked, this, [this, selectedRun] {
    QString err;
    const QString d = selectedRun();
    if (d.isEmpty()) err = tr("Select a run in the list first.");
    else if (resume(d, &err)) return;
    QMessageBox::warning(this, tr("Resume"), err);
  });

  log_ = new QPlainTextEdit;
  log_->setObjectName("trainLog");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);

  auto* tabs = new QTabWidget;
  tabs->setObjectName("trainTabs");
  tabs->addTab(queue_, tr("Queue"));
  tabs->addTab(resultsPage, tr("Results"));
  tabs->addTab(runsPage, tr("Runs"));
  tabs->addTab(log_, tr("Log"));

  auto* rightSplit = new QSplitter(Qt::Vertical);
  rightSplit->addWidget(charts);
  rightSplit->addWidget(tabs);
  rightSplit->setStretchFactor(0, 3);
  rightSplit->setStretchFactor(1, 2);
  // The form scrolls rather than widening the window when space is short.
  auto* leftScroll = new QScrollArea;
  leftScroll->setWidget(left);
  leftScroll->setWidgetResizable(true);
  leftScroll->setFrameShape(QFrame::NoFrame);
  leftScroll->setMinimumWidth(260);
  auto* split = new QSplitter(Qt::Horizontal);
  split->addWidget(leftScroll);
  split->addWidget(rightSplit);
  split->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(2, 2, 2, 2);
  layout->addWidget(split);

  connect(start_, &QPushButton::clicked, this, [this] {
    QString err;
    if (!start(&err)) QMessageBox::warning(this, tr("Training"), err);
  });
  connect(cancel_, &QPushButton::clicked, this, &TrainingPanel::cancel);
  connect(kind_, &QComboBox::currentIndexChanged, this, &TrainingPanel::updateEnabled);
  connect(variant_, &QComboBox::currentIndexChanged, this, &TrainingPanel::updateEnabled);
}

void TrainingPanel::updateEnabled() {
  const bool running = busy();
  const auto kind = static_cast<Kind>(kind_->currentIndex());
  const bool custom = variant_->currentData().toString() == "custom";
  variant_->setEnabled(!running && kind == Kind::Single);
  for (auto* c : {film_, gate_, aux_}) c->setEnabled(!running && kind == Kind::Single && custom);
  lambdas_->setEnabled(!running && kind == Kind::LambdaSweep);
  lambda_->setEnabled(!running && kind != Kind::LambdaSweep);
  start_->setEnabled(!running);
  resume_->setEnabled(!running);
  cancel_->setEnabled(running);
  for (auto* w : std::initializer_list<QWidget*>{kind_, corpus_, gateInput_, lr_, epochs_, batch_, seeds_, threads_, parallel_,
                                                 device_, rootEdit_})
    w->setEnabled(!running);
  const bool haveResults = results_.has_value();
  for (auto* b : {exportCsv_, exportMd_, exportTex_}) b->setEnabled(haveResults);
}

void TrainingPanel::setKind(Kind kind) { kind_->setCurrentIndex(static_cast<int>(kind)); }
void TrainingPanel::setCorpus(const QString& source) { corpus_->setText(source); }
void TrainingPanel::setVariant(const QString& variant) {
  const int i = variant_->findData(variant);
  if (i >= 0) variant_->setCurrentIndex(i);
}
void TrainingPanel::setSwitches(bool film, bool gate, bool aux) {
  film_->setChecked(film);
  gate_->setChecked(gate);
  aux_->setChecked(aux);
}
void TrainingPanel::setEpochs(int epochs) { epochs_->setValue(epochs); }
void TrainingPanel::setSeeds(const QString& seeds) { seeds_->setText(seeds); }
void TrainingPanel::setThreads(int threads) { threads_->setValue(threads); }
void TrainingPanel::setParallel(int processes) { parallel_->setValue(processes); }
void TrainingPanel::setLambdas(const QString& lambdas) { lambdas_->setText(lambdas); }
void TrainingPanel::setRunsRoot(const QString& root) {
  runsRoot_ = QDir(root).absolutePath();
  rootEdit_->setText(runsRoot_);
  refreshRunList();
}

bool TrainingPanel::busy() const { return job_->busy(); }

ex::TrainArgs TrainingPanel::trainArgs() const {
  ex::TrainArgs a;
  a.corpus = corpus_->text().trimmed().toStdString();
  const QString v = variant_->currentData().toString();
  if (v == "multiemo") a.variant = "multiemo";
  if (v == "custom") {
    a.noFilm = !film_->isChecked();
    a.noGate = !gate_->isChecked();
    a.noAux = !aux_->isChecked();
  }
  a.gateInput = gateInput_->currentText().toStdString();
  a.lambda = lambda_->value() < 0 ? -1 : lambda_->value();
  a.lr = lr_->value();
  a.epochs = epochs_->value();
  a.batchSize = batch_->value();
  a.threads = threads_->value();
  a.device = device_->currentText().toStdString();
  try {
    a.seed = ex::parseSeeds(seeds_->text().toStdString()).front();
  } catch (const std::exception&) {
  }
  return a;
}

bool TrainingPanel::start(QString* error) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy()) return fail(tr("Training is already running."));
  ex::TrainArgs args = trainArgs();
  if (args.corpus.empty()) return fail(tr("Choose a corpus ('demo' for the built-in one)."));
  std::vector<std::uint64_t> seeds;
  try {
    seeds = ex::parseSeeds(seeds_->text().toStdString());
  } catch (const std::exception& e) {
    return fail(QString::fromStdString(e.what()));
  }
  const auto kind = static_cast<Kind>(kind_->currentIndex());
  ex::Experiment e;
  QString name;
  try {
    if (kind == Kind::Ablation) {
      e = ex::Experiment::ablation(args, seeds);
      name = "ablation";
    } else if (kind == Kind::LambdaSweep) {
      std::string dataset = "demo";
      if (state_.hasCorpus() && state_.corpusSource().toStdString() == args.corpus) dataset = state_.corpus()->dataset;
      const double reference = model::preset(model::presetForDataset(dataset)).model.lambda;
      args.lambda = -1;
      e = ex::Experiment::lambdaSweep(args, ex::parseLambdas(lambdas_->text().toStdString()), reference, seeds);
      name = "sweep";
    } else {
      e = ex::Experiment::seedRuns(args, seeds);
      name = QString::fromStdString(args.isMultiEmo() ? "multiemo" : args.variantTitle() == "ML-SAN" ? "mlsan" : "ablated");
    }
  } catch (const std::exception& ex) {
    return fail(QString::fromStdString(ex.what()));
  }
  QString tag = QString::fromStdString(args.corpus);
  tag.replace(QRegularExpression("[^A-Za-z0-9]+"), "_");
  const QString root = QDir(runsRoot_).absoluteFilePath(
      QString("%1-%2-%3").arg(name, tag.right(40), QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss")));
  try {
    e.save(root.toStdString());
  } catch (const std::exception& ex) {
    return fail(QString::fromStdString(ex.what()));
  }
  root_ = root;
  experiment_ = e;
  results_.reset();
  std::vector<QString> dirs;
  for (const auto& t : e.tasks) dirs.push_back(QDir(root).absoluteFilePath(QString::fromStdString(t.dir)));
  auto children = ex::experimentChildren(e, root.toStdString());
  for (std::size_t i = 0; i < children.size(); ++i) children[i].label = e.tasks[i].label();
  appendLog(tr("%1: %2 run(s) in %3").arg(QString::fromStdString(e.kindName())).arg(children.size()).arg(root));
  startTasks(std::move(children), std::move(dirs), parallel_->value());
  return true;
}

bool TrainingPanel::resume(const QString& runDir, QString* error) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy()) return fail(tr("Training is already running."));
  const QString cfgPath = QDir(runDir).absoluteFilePath("config.json");
  ex::TrainArgs a;
  try {
    const json cfg = json::parse(data::readFile(cfgPath.toStdString()));
    const auto& m = cfg.at("model");
    const auto& t = cfg.at("train");
    a.corpus = cfg.at("corpus").at("source").get<std::string>();
    a.preset = m.value("preset", "");
    const bool film = m.at("film"), gate = m.at("gate"), aux = m.at("aux");
    if (!film && !gate && !aux) a.variant = "multiemo";
    else { a.noFilm = !film; a.noGate = !gate; a.noAux = !aux; }
    a.lambda = m.at("lambda");
    a.gateInput = m.at("gate_input");
    a.gateInit = m.value("gate_init", -1.0);
    a.lossWeights = {m.at("weight_ce"), m.at("weight_swfc"), m.at("weight_hgr")};
    a.epochs = t.at("epochs");
    a.batchSize = t.at("batch_size");
    a.microBatch = t.value("micro_batch", -1);
    a.speakerLrScale = t.value("speaker_lr_scale", -1.0);
    a.lr = t.at("lr");
    a.seed = t.at("seed");
    a.threads = threads_->value();
    a.device = t.value("device", "cpu");
  } catch (const std::exception& e) {
    return fail(tr("%1: cannot tell how the run was trained (%2)").arg(cfgPath, QString::fromUtf8(e.what())));
  }
  root_ = QFileInfo(runDir).absoluteFilePath();
  experiment_.reset();
  results_.reset();
  std::vector<ex::ChildTask> tasks{{ex::trainCommand(a, root_.toStdString(), true), QFileInfo(runDir).fileName().toStdString()}};
  appendLog(tr("resuming %1").arg(root_));
  startTasks(std::move(tasks), {root_}, 1);
  return true;
}

void TrainingPanel::startTasks(std::vector<ex::ChildTask> tasks, std::vector<QString> dirs, int parallel) {
  status_.assign(tasks.size(), {});
  curves_.assign(tasks.size(), {});
  taskDirs_ = std::move(dirs);
  watched_ = 0;
  queue_->setRowCount(static_cast<int>(tasks.size()));
  for (int i = 0; i < static_cast<int>(tasks.size()); ++i) {
    queue_->setItem(i, 0, item(QString::fromStdString(tasks[i].label)));
    for (int c = 1; c < 7; ++c) queue_->setItem(i, c, item(c == 1 ? tr("queued") : QString(), c >= 2 && c <= 5));
  }
  queue_->resizeColumnsToContents();
  showCurve(Curve{}, tasks.empty() ? QString() : QString::fromStdString(tasks[0].label));
  startedMs_ = QDateTime::currentMSecsSinceEpoch();
  QString err;
  if (!job_->start(std::move(tasks), parallel, &err)) {
    appendLog(err);
    eta_->setText(err);
    QMessageBox::warning(this, tr("Training"), err);
    return;
  }
  eta_->setText(tr("Starting…"));
  updateEnabled();
  emit busyChanged(true);
}

void TrainingPanel::cancel() {
  if (!busy()) return;
  job_->cancel();
  eta_->setText(tr("Cancelling: the runs stop at their next batch"));
  appendLog(tr("cancel requested"));
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
  const QColor colour = s.state == ex::TaskState::Failed      ? QColor(200, 40, 40)
                        : s.state == ex::TaskState::Done      ? QColor(30, 130, 60)
                        : s.state == ex::TaskState::Cancelled ? QColor(150, 110, 20)
                                                              : palette().color(QPalette::Text);
  queue_->item(task, 1)->setForeground(colour);
  // Follow the first running task unless the user picked one.
  if (s.state == ex::TaskState::Running && queue_->currentRow() < 0 &&
      (watched_ >= static_cast<int>(status_.size()) || status_[watched_].state != ex::TaskState::Running) && watched_ != task) {
    watched_ = task;
    showCurve(curves_[task], queue_->item(task, 0)->text());
  }
  if (s.state == ex::TaskState::Done) {
    updateResults();
    refreshRunList();
  }
  updateEta();
}

void TrainingPanel::onTaskEpoch(int task, const QVariantMap& r) {
  if (task < 0 || task >= static_cast<int>(curves_.size())) return;
  Curve& c = curves_[task];
  c.epoch.push_back(r.value("epoch").toDouble());
  c.trainLoss.push_back(r.value("train_loss").toDouble());
  c.valLoss.push_back(r.value("val_loss").toDouble());
  c.valF1.push_back(r.value("val_weighted_f1").toDouble());
  c.lr.push_back(r.value("lr").toDouble());
  if (task == watched_) showCurve(c, queue_->item(task, 0)->text());
}

void TrainingPanel::showCurve(const Curve& c, const QString& title) {
  auto fill = [&c](QLineSeries* s, const std::vector<double>& y) {
    QList<QPointF> pts;
    for (std::size_t i = 0; i < y.size() && i < c.epoch.size(); ++i)
      if (std::isfinite(y[i])) pts.append(QPointF(c.epoch[i], y[i]));
    s->replace(pts);
  };
  fill(trainLoss_, c.trainLoss);
  fill(valLoss_, c.valLoss);
  fill(valF1_, c.valF1);
  fill(lrSeries_, c.lr);
  for (QChart* ch : {lossChart_, f1Chart_, lrChart_}) fitAxes(ch);
  curveTitle_->setText(title.isEmpty() ? tr("Curves appear here per epoch") : tr("Curves of %1").arg(title));
}

int TrainingPanel::curvePoints() const {
  return static_cast<int>(trainLoss_->count() + valLoss_->count() + valF1_->count() + lrSeries_->count());
}

void TrainingPanel::updateEta() {
  if (status_.empty()) return;
  double done = 0;
  int running = 0, finished = 0, failed = 0;
  for (const auto& s : status_) {
    if (s.state == ex::TaskState::Done || s.state == ex::TaskState::Failed || s.state == ex::TaskState::Cancelled) {
      done += 1;
      ++finished;
      failed += s.state == ex::TaskState::Failed;
    } else if (s.state == ex::TaskState::Running && s.epochs > 0) {
      ++running;
      done += (s.epoch + (s.batches > 0 ? static_cast<double>(s.batch) / s.batches : 0.0)) / s.epochs;
    }
  }
  const double fraction = done / static_cast<double>(status_.size());
  progress_->setValue(static_cast<int>(fraction * 1000));
  const double elapsed = (QDateTime::currentMSecsSinceEpoch() - startedMs_) / 1000.0;
  QString text = tr("%1 of %2 runs ended, %3 running").arg(finished).arg(status_.size()).arg(running);
  if (failed) text += tr(", %1 failed").arg(failed);
  text += tr("; %1 elapsed").arg(clockText(elapsed));
  if (busy() && fraction > 0.02) text += tr(", ETA %1").arg(clockText(elapsed * (1 - fraction) / fraction));
  eta_->setText(text);
}

void TrainingPanel::onFinished(const std::vector<ex::TaskStatus>& statuses, const QString& error) {
  if (!error.isEmpty()) {
    appendLog(error);
    QMessageBox::warning(this, tr("Training"), error);
  }
  bool allDone = !statuses.empty() && error.isEmpty();
  int failed = 0, cancelled = 0;
  for (const auto& s : statuses) {
    allDone = allDone && s.state == ex::TaskState::Done;
    failed += s.state == ex::TaskState::Failed;
    cancelled += s.state == ex::TaskState::Cancelled;
  }
  updateResults();
  refreshRunList();
  updateEta();
  updateEnabled();
  if (cancelled) eta_->setText(eta_->text() + tr(" — cancelled; Start again (or Resume) continues from the last epoch"));
  if (failed) {
    QString first;
    for (const auto& s : statuses)
      if (s.state == ex::TaskState::Failed) { first = QString::fromStdString(s.message); break; }
    eta_->setText(eta_->text() + tr(" — failed: %1").arg(first));
  }
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
    resultTable_->setItem(i, 0, item(QString::fromStdString(r.title)));
    resultTable_->setItem(i, 1, item(ms, true));
    resultTable_->setItem(i, 2, item(r.reference ? QString("—") : std::isfinite(r.delta) ? QString::asprintf("%+.2f", r.delta) : QString(), true));
    resultTable_->setItem(i, 3, item(r.reference ? QString("—") : std::isfinite(r.pValue) ? QString::number(r.pValue, 'g', 3) : QString(), true));
    resultTable_->setItem(i, 4, item(QString("%1/%2").arg(r.finished).arg(t.seeds.size()), true));
  }
  resultTable_->resizeColumnsToContents();
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
  if (!exportResults(path, &err)) QMessageBox::warning(this, tr("Export"), err);
  else appendLog(tr("table written to %1").arg(path));
}

bool TrainingPanel::showRunCurves(const QString& runDir, QString* error) {
  const QString path = QDir(runDir).absoluteFilePath("curves.csv");
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) {
    if (error) *error = tr("%1: cannot read (%2)").arg(path, f.errorString());
    return false;
  }
  const QStringList lines = QString::fromUtf8(f.readAll()).split('\n', Qt::SkipEmptyParts);
  if (lines.isEmpty()) {
    if (error) *error = tr("%1: empty").arg(path);
    return false;
  }
  const QStringList header = lines[0].split(',');
  const int ce = header.indexOf("epoch"), ct = header.indexOf("train_loss"), cv = header.indexOf("val_loss"),
            cf = header.indexOf("val_weighted_f1"), cl = header.indexOf("lr");
  if (ce < 0 || ct < 0 || cv < 0 || cf < 0 || cl < 0) {
    if (error) *error = tr("%1: not a curves file (columns epoch, train_loss, val_loss, val_weighted_f1, lr expected)").arg(path);
    return false;
  }
  Curve c;
  for (int i = 1; i < lines.size(); ++i) {
    const QStringList v = lines[i].split(',');
    bool ok = v.size() == header.size();
    auto at = [&](int k) {
      bool good = false;
      const double x = ok ? v[k].toDouble(&good) : 0;
      ok = ok && good;
      return x;
    };
    const double e = at(ce), t = at(ct), vl = at(cv), f1 = at(cf), lr = at(cl);
    if (!ok) {
      if (error) *error = tr("%1: line %2 is not a row of numbers").arg(path).arg(i + 1);
      return false;
    }
    c.epoch.push_back(e);
    c.trainLoss.push_back(t);
    c.valLoss.push_back(vl);
    c.valF1.push_back(f1);
    c.lr.push_back(lr);
  }
  showCurve(c, QDir(runsRoot_).relativeFilePath(runDir));
  return true;
}

void TrainingPanel::refreshRunList() {
  const QString keep = runList_->currentRow() >= 0 && runList_->item(runList_->currentRow(), 0)
                           ? runList_->item(runList_->currentRow(), 0)->data(Qt::UserRole).toString()
                           : QString();
  runList_->setSortingEnabled(false);
  runList_->setRowCount(0);
  if (!QDir(runsRoot_).exists()) return;
  QDirIterator it(runsRoot_, {"config.json"}, QDir::Files, QDirIterator::Subdirectories);
  QStringList dirs;
  while (it.hasNext()) dirs << QFileInfo(it.next()).absolutePath();
  dirs.sort();
  for (const QString& d : dirs) {
    QString variant, epochs, f1, stateText = tr("unfinished");
    try {
      const json cfg = json::parse(data::readFile(QDir(d).absoluteFilePath("config.json").toStdString()));
      variant = QString::fromStdString(cfg.value("variant", ""));
      const int total = cfg.at("train").at("epochs");
      QFile curves(QDir(d).absoluteFilePath("curves.csv"));
      int done = 0;
      if (curves.open(QIODevice::ReadOnly)) done = std::max(0, static_cast<int>(curves.readAll().count('\n')) - 1);
      epochs = QString("%1/%2").arg(done).arg(total);
      const QString metrics = QDir(d).absoluteFilePath("metrics.json");
      if (QFileInfo::exists(metrics)) {
        f1 = num(json::parse(data::readFile(metrics.toStdString())).at("weighted_f1").get<double>());
        stateText = tr("finished");
      }
    } catch (const std::exception& e) {
      stateText = tr("unreadable: %1").arg(QString::fromUtf8(e.what()).left(80));
    }
    const int row = runList_->rowCount();
    runList_->insertRow(row);
    auto* first = item(QDir(runsRoot_).relativeFilePath(d));
    first->setData(Qt::UserRole, d);
    runList_->setItem(row, 0, first);
    runList_->setItem(row, 1, item(variant));
    runList_->setItem(row, 2, item(epochs, true));
    runList_->setItem(row, 3, item(f1, true));
    runList_->setItem(row, 4, item(stateText));
    if (d == keep) runList_->setCurrentCell(row, 0);
  }
}

QStringList TrainingPanel::listedRuns() const {
  QStringList out;
  for (int r = 0; r < runList_->rowCount(); ++r) out << runList_->item(r, 0)->data(Qt::UserRole).toString();
  return out;
}

void TrainingPanel::appendLog(const QString& line) { log_->appendPlainText(line); }

}  // namespace mlsan::ui
