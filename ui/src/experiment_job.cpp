// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/ui/experiment_job.h"

#include <QJsonDocument>
#include <QMetaObject>
#include <QPointer>

namespace mlsan::ui {
namespace ex = experiments;

namespace {
/// Forwards the runner's callbacks (worker thread) to the job's signals (queued to the GUI thread).
class Forwarder : public ex::RunnerObserver {
 public:
  explicit Forwarder(QPointer<ExperimentJob> job) : job_(std::move(job)) {}
  void taskChanged(int task, const ex::TaskStatus& s) override {
    post([task, s](ExperimentJob* j) { emit j->taskChanged(task, s); });
  }
  void taskEpoch(int task, const nlohmann::json& record) override {
    const QVariantMap map = QJsonDocument::fromJson(QByteArray::fromStdString(record.dump())).toVariant().toMap();
    post([task, map](ExperimentJob* j) { emit j->taskEpoch(task, map); });
  }
  void taskLog(int task, const std::string& line) override {
    const QString text = QString::fromStdString(line);
    post([task, text](ExperimentJob* j) { emit j->taskLog(task, text); });
  }
  template <class F>
  void post(F f) {
    QPointer<ExperimentJob> job = job_;
    if (!job) return;
    QMetaObject::invokeMethod(job.data(), [job, f] { if (job) f(job.data()); }, Qt::QueuedConnection);
  }

 private:
  QPointer<ExperimentJob> job_;
};

/// A worker's whole work: `body` with a forwarder, then `finished` with its statuses or its error.
template <class Body>
void work(QPointer<ExperimentJob> self, Body body) {
  Forwarder forward(self);
  std::vector<ex::TaskStatus> result;
  QString err;
  try {
    result = body(forward);
  } catch (const std::exception& e) {
    err = QString::fromStdString(e.what());
  }
  forward.post([result, err](ExperimentJob* j) { j->finishWork(result, err); });
}
}  // namespace

void ExperimentJob::finishWork(const std::vector<ex::TaskStatus>& result, const QString& err) {
  busy_ = false;
  emit finished(result, err);
}

ExperimentJob::ExperimentJob(QObject* parent) : QObject(parent) {
  qRegisterMetaType<ex::TaskStatus>("mlsan::experiments::TaskStatus");
  qRegisterMetaType<std::vector<ex::TaskStatus>>("std::vector<mlsan::experiments::TaskStatus>");
}

ExperimentJob::~ExperimentJob() {
  if (quit_) quit_->store(true);  // a cluster experiment keeps running: only the following stops
  if (cancel_ && !onCluster_) cancel_->store(true);
  if (worker_.joinable()) worker_.join();
}

QString ExperimentJob::program() { return QString::fromStdString(ex::findMlsan()); }

bool ExperimentJob::begin(bool cluster, QString* error) {
  if (busy_) {
    if (error) *error = tr("Training is already running: cancel it or wait for it to finish.");
    return false;
  }
  if (worker_.joinable()) worker_.join();
  busy_ = true;
  onCluster_ = cluster;
  cancel_ = std::make_shared<std::atomic<bool>>(false);
  quit_ = std::make_shared<std::atomic<bool>>(false);
  return true;
}

bool ExperimentJob::start(std::vector<ex::ChildTask> tasks, int parallel, QString* error) {
  const std::string prog = ex::findMlsan();
  if (prog.empty() && !busy_) {
    if (error) *error = tr("The mlsan program was not found beside the studio or on PATH (set MLSAN_BIN).");
    return false;
  }
  if (!begin(false, error)) return false;
  QPointer<ExperimentJob> self(this);
  auto cancel = cancel_;
  worker_ = std::thread([self, cancel, prog, tasks = std::move(tasks), parallel] {
    work(self, [&](Forwarder& forward) { return ex::runChildren(prog, tasks, parallel, forward, [cancel] { return cancel->load(); }); });
  });
  return true;
}

bool ExperimentJob::startCluster(ex::Experiment e, std::string root, ex::SlurmOptions options, bool submit,
                                 ex::Submission existing, double poll, QString* error) {
  if (!begin(true, error)) return false;
  QPointer<ExperimentJob> self(this);
  worker_ = std::thread([self, cancel = cancel_, quit = quit_, e = std::move(e), root = std::move(root), options, submit,
                         s = std::move(existing), poll]() mutable {
    work(self, [&](Forwarder& forward) {
      if (submit) s = ex::submitExperiment(e, root, options);
      forward.post([id = QString::fromStdString(s.jobId), at = QString::fromStdString(s.submittedAt)](ExperimentJob* j) {
        emit j->submitted(id, at);
      });
      // Follow until it ends, the studio closes (quit: the jobs keep running) or the user
      // cancels (scancel, then follow on until every task has stopped).
      auto tasks = ex::followSubmission(e, root, s, forward, poll, [&] { return quit->load() || cancel->load(); });
      if (cancel->load() && !quit->load()) {
        ex::cancelSubmission(root, s);
        forward.taskLog(-1, "scancel " + s.jobId + ": the running tasks stop after their current batch");
        tasks = ex::followSubmission(e, root, s, forward, poll, [&] { return quit->load(); });
      }
      std::vector<ex::TaskStatus> result;
      for (const auto& t : tasks) result.push_back(t.status);
      return result;
    });
  });
  return true;
}

void ExperimentJob::cancel() {
  if (cancel_) cancel_->store(true);
}

}  // namespace mlsan::ui
