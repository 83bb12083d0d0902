// SPDX-License-Identifier: GPL-3.0-or-later
// The Training panel on a Slurm cluster: submitting what the form describes, following a
// submission (also one found again after the studio was closed), and showing an experiment
// folder again. The work is experiments/cluster.h's, on ExperimentJob's worker thread.
#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <filesystem>

#include "mlsan/experiments/cluster.h"
#include "mlsan/model/run.h"
#include "mlsan/ui/attribution_chart.h"
#include "mlsan/ui/experiment_job.h"
#include "mlsan/ui/training_panel.h"

namespace mlsan::ui {
namespace ex = experiments;
namespace fs = std::filesystem;

namespace {
constexpr double kPollSeconds = 5;

std::vector<QString> taskFolders(const ex::Experiment& e, const QString& root) {
  std::vector<QString> dirs;
  for (const auto& t : e.tasks) dirs.push_back(QDir(root).absoluteFilePath(QString::fromStdString(t.dir)));
  return dirs;
}

std::vector<std::string> taskLabels(const ex::Experiment& e) {
  std::vector<std::string> labels;
  for (const auto& t : e.tasks) labels.push_back(t.label());
  return labels;
}

}  // namespace

bool TrainingPanel::startOnCluster(QString* error) {
  ex::SlurmOptions options = form_->slurmOptions();
  const QString program = ExperimentJob::program();
  if (!program.isEmpty()) options.mlsan = QFileInfo(program).absoluteFilePath().toStdString();
  prepareQueue(taskLabels(*experiment_), taskFolders(*experiment_, root_));
  clusterJob_.clear();
  appendLog(tr("%1: submitting %2 run(s) of %3 to Slurm").arg(QString::fromStdString(experiment_->kindName()))
                .arg(experiment_->tasks.size())
                .arg(root_));
  QString err;
  const bool ok = job_->startCluster(*experiment_, root_.toStdString(), options, true, {}, kPollSeconds, &err);
  jobStarted(ok, err);
  if (ok) eta_->setText(tr("Submitting to Slurm…"));
  if (!ok && error) *error = err;
  return ok;
}

void TrainingPanel::onSubmitted(const QString& jobId, const QString& submittedAt) {
  clusterJob_ = jobId;
  if (jobId.isEmpty()) {
    appendLog(tr("every run is finished already: nothing submitted"));
    return;
  }
  appendLog(tr("Slurm job %1 (submitted %2): following it every %3 s; it keeps running if the studio closes")
                .arg(jobId, submittedAt)
                .arg(kPollSeconds));
  eta_->setText(tr("Slurm job %1: waiting for the first look at the queue").arg(jobId));
}

bool TrainingPanel::openExperiment(const QString& rootIn, QString* error, const QString& kind) {
  auto fail = [error](const QString& e) {
    if (error) *error = e;
    return false;
  };
  if (busy()) return fail(tr("Training is already running."));
  const QString root = QFileInfo(rootIn).absoluteFilePath();
  const std::string r = root.toStdString();
  try {
    bool submitted = false;
    ex::Submission s;
    if (!ex::submissionsIn(r).empty()) {
      s = ex::loadSubmission(r, kind.toStdString());
      submitted = true;
    }
    ex::Experiment e = ex::Experiment::load(r, submitted ? s.kind : kind.toStdString());
    root_ = root;
    experiment_ = e;
    results_.reset();
    attribution_->hide();
    prepareQueue(taskLabels(e), taskFolders(e, root));
    if (!submitted) {
      // A local experiment: what its folders hold.
      for (std::size_t i = 0; i < e.tasks.size(); ++i) {
        ex::TaskStatus st;
        const std::string dir = taskDirs_[i].toStdString();
        if (fs::exists(model::RunPaths(dir).metrics())) {
          st.state = ex::TaskState::Done;
          st.testF1 = model::readTestWeightedF1(dir);
        } else {
          st.message = "not finished: Start continues it";
        }
        onTaskChanged(static_cast<int>(i), st);
      }
      updateResults();
      appendLog(tr("opened %1 (%2)").arg(root, QString::fromStdString(e.kindName())));
      return true;
    }
    clusterJob_ = QString::fromStdString(s.jobId);
    appendLog(tr("following the %1 experiment submitted to Slurm as job %2 on %3")
                  .arg(QString::fromStdString(s.kind), clusterJob_, QString::fromStdString(s.submittedAt)));
    QString err;
    const bool ok = job_->startCluster(e, r, s.options, false, s, kPollSeconds, &err);
    jobStarted(ok, err);
    return ok ? true : fail(err);
  } catch (const std::exception& ex) {
    return fail(QString::fromUtf8(ex.what()));
  }
}

void TrainingPanel::followUnfinishedSubmission() {
  if (busy()) return;
  // The newest submission in the runs folder's experiment folders that the files say may still
  // run. Nothing asks the scheduler until one is found.
  for (const auto& [root, s] : ex::submissionsUnder(runsRoot_.toStdString())) {
    try {
      if (!ex::mayStillRun(ex::Experiment::load(root, s.kind), root, s)) continue;
    } catch (const std::exception&) {
      continue;  // not ours or damaged: Open experiment names the problem when asked
    }
    QString err;
    if (!openExperiment(QString::fromStdString(root), &err, QString::fromStdString(s.kind))) appendLog(err);
    return;
  }
}

}  // namespace mlsan::ui
