// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The Training panel's form: what to run (one configuration over seeds, Table 2, the lambda
// sweep), the corpus, the variant and its switches, the training options, the seeds, how many
// processes at once on how many threads, the device and the runs folder. It only describes
// work; the panel starts it. "Run on" chooses this machine or a Slurm cluster (partition,
// account, time, memory, GPUs per task). GUI thread only.
#include <QString>
#include <QWidget>
#include <cstdint>
#include <vector>

#include "mlsan/experiments/slurm.h"
#include "mlsan/experiments/train_args.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLineEdit;
class QSpinBox;

namespace mlsan::ui {

class TrainingForm : public QWidget {
  Q_OBJECT
 public:
  enum class Kind { Single, Ablation, LambdaSweep, Factorial, Comparison };
  explicit TrainingForm(const QString& runsRoot, QWidget* parent = nullptr);

  void setKind(Kind kind);
  Kind kind() const;
  void setCorpus(const QString& source);
  void setVariant(const QString& variant);  ///< "mlsan", "multiemo" or "custom"
  void setSwitches(bool film, bool gate, bool aux);
  void setEpochs(int epochs);
  void setSeeds(const QString& seeds);      ///< "1", "1,2,3", "1-3"
  void setThreads(int threads);
  void setParallel(int processes);
  void setLambdas(const QString& lambdas);
  void setRunsRoot(const QString& root);

  /// The training options the form describes (one seed: the first).
  experiments::TrainArgs trainArgs() const;
  /// The seeds; throws std::invalid_argument naming what is wrong.
  std::vector<std::uint64_t> seeds() const;
  /// The sweep's lambdas; throws std::invalid_argument.
  std::vector<double> lambdas() const;
  int threads() const;
  int parallel() const;
  /// Run on: this machine (false) or a Slurm cluster (true): submitted with sbatch, followed
  /// with squeue. On a cluster "Runs at once" caps the array (%N).
  void setRunOnCluster(bool cluster);
  bool runOnCluster() const;
  void setSlurm(const QString& partition, const QString& account, const QString& time, const QString& memory);
  /// The cluster's options: partition, account, time and memory per task, GPUs per task (when
  /// the device is CUDA), the array's throttle.
  experiments::SlurmOptions slurmOptions() const;
  /// Disables everything while runs are going.
  void setRunning(bool running);

 signals:
  /// The user edited the runs folder (absolute path).
  void runsRootEdited(QString root);

 private:
  void updateEnabled();

  bool running_ = false;
  QComboBox *kind_ = nullptr, *variant_ = nullptr, *gateInput_ = nullptr, *device_ = nullptr, *runOn_ = nullptr;
  QLineEdit *partition_ = nullptr, *account_ = nullptr, *time_ = nullptr, *memory_ = nullptr;
  QSpinBox* gpus_ = nullptr;
  QGroupBox* clusterBox_ = nullptr;
  QLineEdit *corpus_ = nullptr, *seeds_ = nullptr, *lambdas_ = nullptr, *rootEdit_ = nullptr;
  QCheckBox *film_ = nullptr, *gate_ = nullptr, *aux_ = nullptr;
  QDoubleSpinBox *lambda_ = nullptr, *lr_ = nullptr;
  QSpinBox *epochs_ = nullptr, *batch_ = nullptr, *threads_ = nullptr, *parallel_ = nullptr;
};

}  // namespace mlsan::ui
