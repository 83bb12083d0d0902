// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/training_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QSpinBox>
#include <QThread>
#include <QVBoxLayout>

#include "mlsan/experiments/experiment.h"
#include "mlsan/model/engine.h"

namespace mlsan::ui {
namespace ex = experiments;

TrainingForm::TrainingForm(const QString& runsRoot, QWidget* parent) : QWidget(parent) {
  kind_ = new QComboBox;
  kind_->setObjectName("trainKind");
  kind_->addItem(tr("One configuration (over the seeds)"));
  kind_->addItem(tr("Table 2: ablation (full, w/o FiLM, w/o Gate, w/o Aux, MultiEMO)"));
  kind_->addItem(tr("Lambda sweep (section 4.5)"));
  kind_->addItem(tr("Factorial ablation: all 8 subsets of FiLM, Gate, Aux (where the gain comes from)"));
  kind_->addItem(tr("ML-SAN against MultiEMO (the same options)"));
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
  auto* switches = new QHBoxLayout;
  for (auto* c : {film_, gate_, aux_}) {
    c->setChecked(true);
    switches->addWidget(c);
  }
  switches->addStretch();
  gateInput_ = new QComboBox;
  gateInput_->addItem(tr("preset (speaker)"), QString());
  gateInput_->addItem("speaker", QString("speaker"));
  gateInput_->addItem("speaker+context", QString("speaker+context"));
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
  runOn_ = new QComboBox;
  runOn_->setObjectName("trainRunOn");
  runOn_->addItem(tr("This machine"));
  runOn_->addItem(tr("A Slurm cluster (sbatch)"));
  runOn_->setToolTip(tr("On a cluster the runs are submitted as one Slurm job array from this machine (a login node) "
                        "and followed here; they keep running when the studio closes"));
  partition_ = new QLineEdit;
  partition_->setObjectName("trainSlurmPartition");
  partition_->setPlaceholderText(tr("the cluster's default"));
  account_ = new QLineEdit;
  account_->setObjectName("trainSlurmAccount");
  account_->setPlaceholderText(tr("your default"));
  time_ = new QLineEdit("04:00:00");
  time_->setToolTip(tr("Time limit per run (HH:MM:SS or D-HH:MM:SS); a run warned before it stops and continues later"));
  memory_ = new QLineEdit("8G");
  memory_->setToolTip(tr("Memory per run (Slurm's --mem: 8G, 500M)"));
  gpus_ = new QSpinBox;
  gpus_->setRange(1, 16);
  gpus_->setValue(1);
  gpus_->setToolTip(tr("GPUs per run (--gres=gpu:N) when the device is cuda"));
  auto* clusterForm = new QFormLayout;
  clusterForm->addRow(tr("Partition"), partition_);
  clusterForm->addRow(tr("Account"), account_);
  clusterForm->addRow(tr("Time per run"), time_);
  clusterForm->addRow(tr("Memory per run"), memory_);
  clusterForm->addRow(tr("GPUs per run"), gpus_);
  clusterBox_ = new QGroupBox(tr("Slurm cluster"));
  clusterBox_->setObjectName("trainClusterBox");
  clusterBox_->setLayout(clusterForm);
  rootEdit_ = new QLineEdit(runsRoot);
  rootEdit_->setObjectName("trainRunsRoot");
  connect(rootEdit_, &QLineEdit::editingFinished, this, [this] {
    const QString root = QDir(rootEdit_->text()).absolutePath();
    rootEdit_->setText(root);
    emit runsRootEdited(root);
  });

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
  form->addRow(tr("Run on"), runOn_);
  auto* box = new QGroupBox(tr("Training"));
  box->setLayout(form);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(box);
  layout->addWidget(clusterBox_);

  connect(kind_, &QComboBox::currentIndexChanged, this, &TrainingForm::updateEnabled);
  connect(variant_, &QComboBox::currentIndexChanged, this, &TrainingForm::updateEnabled);
  connect(device_, &QComboBox::currentIndexChanged, this, &TrainingForm::updateEnabled);
  connect(runOn_, &QComboBox::currentIndexChanged, this, [this] {
    // The nodes may have GPUs this machine lacks.
    const bool cluster = runOnCluster();
    const int cuda = device_->findText("cuda");
    if (cluster && cuda < 0) device_->addItem("cuda");
    if (!cluster && cuda >= 0 && !model::cudaAvailable()) device_->removeItem(cuda);
    parallel_->setToolTip(cluster ? tr("Runs of the array at once on the cluster (%N)") : tr("Training processes at once"));
    updateEnabled();
  });
  updateEnabled();
}

void TrainingForm::setRunOnCluster(bool cluster) { runOn_->setCurrentIndex(cluster ? 1 : 0); }
bool TrainingForm::runOnCluster() const { return runOn_->currentIndex() == 1; }
void TrainingForm::setSlurm(const QString& partition, const QString& account, const QString& time, const QString& memory) {
  partition_->setText(partition);
  account_->setText(account);
  time_->setText(time);
  memory_->setText(memory);
}

ex::SlurmOptions TrainingForm::slurmOptions() const {
  ex::SlurmOptions o;
  o.partition = partition_->text().trimmed().toStdString();
  o.account = account_->text().trimmed().toStdString();
  o.time = time_->text().trimmed().toStdString();
  o.memory = memory_->text().trimmed().toStdString();
  o.gpus = gpus_->value();
  o.maxParallel = parallel_->value();
  return o;
}

void TrainingForm::setKind(Kind kind) { kind_->setCurrentIndex(static_cast<int>(kind)); }
TrainingForm::Kind TrainingForm::kind() const { return static_cast<Kind>(kind_->currentIndex()); }
void TrainingForm::setCorpus(const QString& source) { corpus_->setText(source); }
void TrainingForm::setVariant(const QString& variant) {
  const int i = variant_->findData(variant);
  if (i >= 0) variant_->setCurrentIndex(i);
}
void TrainingForm::setSwitches(bool film, bool gate, bool aux) {
  film_->setChecked(film);
  gate_->setChecked(gate);
  aux_->setChecked(aux);
}
void TrainingForm::setEpochs(int epochs) { epochs_->setValue(epochs); }
void TrainingForm::setSeeds(const QString& seeds) { seeds_->setText(seeds); }
void TrainingForm::setThreads(int threads) { threads_->setValue(threads); }
void TrainingForm::setParallel(int processes) { parallel_->setValue(processes); }
void TrainingForm::setLambdas(const QString& lambdas) { lambdas_->setText(lambdas); }
void TrainingForm::setRunsRoot(const QString& root) { rootEdit_->setText(root); }
int TrainingForm::threads() const { return threads_->value(); }
int TrainingForm::parallel() const { return parallel_->value(); }

std::vector<std::uint64_t> TrainingForm::seeds() const { return ex::parseSeeds(seeds_->text().toStdString()); }
std::vector<double> TrainingForm::lambdas() const { return ex::parseLambdas(lambdas_->text().toStdString()); }

ex::TrainArgs TrainingForm::trainArgs() const {
  ex::TrainArgs a;
  a.corpus = corpus_->text().trimmed().toStdString();
  const QString v = variant_->currentData().toString();
  if (v == "multiemo") a.variant = "multiemo";
  if (v == "custom") {
    a.noFilm = !film_->isChecked();
    a.noGate = !gate_->isChecked();
    a.noAux = !aux_->isChecked();
  }
  a.gateInput = gateInput_->currentData().toString().toStdString();
  a.lambda = lambda_->value() < 0 ? -1 : lambda_->value();
  a.lr = lr_->value();
  a.epochs = epochs_->value();
  a.batchSize = batch_->value();
  a.threads = threads_->value();
  a.device = device_->currentText().toStdString();
  try {
    a.seed = seeds().front();
  } catch (const std::exception&) {
    // an invalid seed list keeps the default; start() reports it
  }
  return a;
}

void TrainingForm::setRunning(bool running) {
  running_ = running;
  updateEnabled();
}

void TrainingForm::updateEnabled() {
  const Kind k = kind();
  const bool custom = variant_->currentData().toString() == "custom";
  variant_->setEnabled(!running_ && k == Kind::Single);
  for (auto* c : {film_, gate_, aux_}) c->setEnabled(!running_ && k == Kind::Single && custom);
  lambdas_->setEnabled(!running_ && k == Kind::LambdaSweep);
  lambda_->setEnabled(!running_ && k != Kind::LambdaSweep);
  for (auto* w : std::initializer_list<QWidget*>{kind_, corpus_, gateInput_, lr_, epochs_, batch_, seeds_, threads_, parallel_,
                                                 device_, rootEdit_, runOn_, partition_, account_, time_, memory_})
    w->setEnabled(!running_);
  clusterBox_->setVisible(runOnCluster());
  gpus_->setEnabled(!running_ && device_->currentText().startsWith("cuda"));
}

}  // namespace mlsan::ui
