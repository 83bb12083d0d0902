// SPDX-License-Identifier: GPL-3.0-or-later
// Experiments on a Slurm cluster: `mlsan ablation|sweep ... --submit` submits and follows,
// `mlsan cluster status ROOT` and `mlsan cluster cancel ROOT` work on an experiment submitted
// earlier, from any shell. The work is experiments/cluster.h's; this file prints it.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/experiments/cluster.h"
#include "mlsan/experiments/results.h"
#include "terminal_progress.h"

namespace mlsan::app {
namespace fs = std::filesystem;
using nlohmann::json;
namespace ex = experiments;

namespace {

/// One line per task whenever its state or epoch changes: queued, running with its epoch,
/// finished, failed (with its log's last lines).
class ClusterObserver : public ex::RunnerObserver {
 public:
  explicit ClusterObserver(const ex::Experiment& e) : e_(e), last_(e.tasks.size()) {}
  void taskChanged(int task, const ex::TaskStatus& s) override {
    std::string line = stateLine(s);
    if (line == last_[task]) return;
    last_[task] = line;
    std::fprintf(stderr, "[%d/%zu] %s: %s\n", task + 1, e_.tasks.size(), e_.tasks[task].label().c_str(), line.c_str());
  }
  void taskLog(int task, const std::string& text) override {
    if (task < 0) std::fprintf(stderr, "note: %s\n", text.c_str());
  }

  static std::string stateLine(const ex::TaskStatus& s) {
    char buf[160];
    switch (s.state) {
      case ex::TaskState::Queued: return "queued: " + s.message;
      case ex::TaskState::Running:
        std::snprintf(buf, sizeof buf, ", epoch %d/%d", s.epoch, s.epochs);
        return s.message + (s.epochs > 0 ? buf : "");
      case ex::TaskState::Done:
        std::snprintf(buf, sizeof buf, "%s, test weighted F1 %.2f (epoch %d)", s.reused ? "already finished" : "done", s.testF1, s.bestEpoch);
        return buf;
      case ex::TaskState::Failed: return "FAILED: " + s.message;
      case ex::TaskState::Cancelled: return "cancelled: " + s.message;
    }
    return "";
  }

 private:
  const ex::Experiment& e_;
  std::vector<std::string> last_;
};

std::string hints(const std::string& root, const std::string& kind) {
  const std::string r = ex::shellQuote(root);
  return "  follow:  mlsan cluster status " + r + " --kind " + kind + " --follow\n" +
         "  cancel:  mlsan cluster cancel " + r + " --kind " + kind + "\n" +
         "  gather:  mlsan collect " + r + " --kind " + kind + "\n";
}

json statusJson(const ex::Experiment& e, const ex::Submission& s, const std::vector<ex::ClusterTask>& tasks) {
  json list = json::array();
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    const auto& t = tasks[i];
    auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    list.push_back({{"task", i}, {"label", e.tasks[i].label()}, {"dir", e.tasks[i].dir}, {"state", ex::stateName(t.status.state)},
                    {"slurm_state", t.slurmState}, {"reason", t.reason}, {"job", t.jobId}, {"epoch", t.status.epoch},
                    {"epochs", t.status.epochs}, {"val_weighted_f1", num(t.status.valF1)}, {"test_weighted_f1", num(t.status.testF1)},
                    {"restarts", t.restarts}, {"message", t.status.message}, {"log", t.log}});
  }
  return {{"kind", s.kind}, {"job_id", s.jobId}, {"submitted_at", s.submittedAt}, {"tasks", list}};
}

}  // namespace

void followAndCollect(const ex::Experiment& e, const std::string& root, const ex::Submission& s, double poll,
                      const std::string& format, const std::vector<std::string>& exports) {
  ClusterObserver observer(e);
  const auto status = ex::followSubmission(e, root, s, observer, poll, [] { return TerminalProgress::interrupted(); });
  if (!ex::allEnded(status)) {
    std::fprintf(stderr, "stopped following; the experiment keeps running on the cluster (job %s).\n%s", s.jobId.c_str(),
                 hints(root, s.kind).c_str());
    throw CancelledError("stopped following job " + s.jobId);
  }
  const auto table = ex::collectResults(e, root);
  for (const auto& p : exports) {
    ex::exportTable(table, p);
    std::fprintf(stderr, "table written to %s\n", p.c_str());
  }
  int failed = 0, cancelled = 0;
  for (const auto& t : status) {
    failed += t.status.state == ex::TaskState::Failed;
    cancelled += t.status.state == ex::TaskState::Cancelled;
  }
  printExperimentTable(table, format);
  if (failed) throw std::runtime_error(std::to_string(failed) + " run(s) failed on the cluster (see above); the table marks them missing");
  if (cancelled)
    throw CancelledError(std::to_string(cancelled) + " run(s) were cancelled or interrupted; submit the experiment again to continue them");
}

void submitAndFollow(const ex::Experiment& e, const std::string& root, const ex::SlurmOptions& options, bool follow,
                     double poll, const std::string& format, const std::vector<std::string>& exports, const std::string& scriptCopy) {
  const ex::Submission s = ex::submitExperiment(e, root, options);
  if (!scriptCopy.empty() && !s.script.empty() && fs::absolute(scriptCopy) != fs::path(s.script)) {
    if (fs::path(scriptCopy).has_parent_path()) fs::create_directories(fs::path(scriptCopy).parent_path());
    data::atomicWriteFile(scriptCopy, data::readFile(s.script));
    fs::permissions(scriptCopy, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
  }
  if (s.jobId.empty()) {
    std::fprintf(stderr, "every run of the %s experiment in %s is finished already: nothing submitted\n", s.kind.c_str(), root.c_str());
  } else {
    std::fprintf(stderr, "submitted %s to Slurm as job %s: %zu of %zu runs (the others are finished)%s\n  script:  %s\n%s",
                 s.kind.c_str(), s.jobId.c_str(), s.tasks.size(), e.tasks.size(),
                 options.maxParallel > 0 ? (", at most " + std::to_string(options.maxParallel) + " at a time").c_str() : "",
                 s.script.c_str(), hints(root, s.kind).c_str());
  }
  if (!follow && !s.jobId.empty()) return;
  followAndCollect(e, root, s, poll, format, exports);
}

void addClusterCommands(CLI::App& app) {
  auto* cluster = app.add_subcommand("cluster", "An experiment submitted to a Slurm cluster (--submit): its state, or cancel it");
  cluster->require_subcommand(1);

  struct Args {
    std::string root, kind, format = "text";
    bool follow = false, asJson = false;
    double poll = 5;
    std::vector<std::string> exports;
  };
  auto a = std::make_shared<Args>();
  auto* status = cluster->add_subcommand("status", "Where each task of a submitted experiment stands: queued (and why), "
                                                   "running with its epoch, finished, failed with its log's last lines");
  status->add_option("root", a->root, "The experiment's folder (--out of the submitting command)")->required();
  status->add_option("--kind", a->kind, "Which experiment of a shared folder (default: the one planned last)");
  status->add_flag("--follow,-f", a->follow, "Follow until every task has ended, then print the table (exit status 1 when a task failed)");
  status->add_option("--poll", a->poll, "Seconds between two looks at the queue (at least 2)")->capture_default_str();
  status->add_flag("--json", a->asJson, "One JSON object: the tasks (without --follow) or the table (with --follow)");
  status->add_option("--export", a->exports, "With --follow: also write the table to FILE; repeatable");
  setExamples(status, {{"Once", "mlsan cluster status runs/table2"},
                       {"Until it has finished, then the table as JSON", "mlsan cluster status runs/table2 --follow --json"}});
  status->callback([a] {
    const std::string root = fs::absolute(a->root).lexically_normal().string();
    const auto s = ex::loadSubmission(root, a->kind);
    const auto e = ex::Experiment::load(root, s.kind);
    if (a->follow) {
      followAndCollect(e, root, s, a->poll, a->asJson ? "json" : a->format, a->exports);
      return;
    }
    const auto tasks = ex::clusterStatus(e, root, s);
    if (a->asJson) {
      printJson(statusJson(e, s, tasks));
      return;
    }
    std::printf("%s experiment in %s, Slurm job %s (submitted %s)\n", s.kind.c_str(), root.c_str(),
                s.jobId.empty() ? "-" : s.jobId.c_str(), s.submittedAt.c_str());
    int counts[5] = {0, 0, 0, 0, 0};
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      ++counts[static_cast<int>(tasks[i].status.state)];
      std::printf("  %-12s %-22s %s\n", tasks[i].jobId.empty() ? "-" : tasks[i].jobId.c_str(), e.tasks[i].label().c_str(),
                  ClusterObserver::stateLine(tasks[i].status).c_str());
    }
    std::printf("%d queued, %d running, %d done, %d failed, %d cancelled\n", counts[0], counts[1], counts[2], counts[3], counts[4]);
  });

  auto c = std::make_shared<Args>();
  auto* cancel = cluster->add_subcommand("cancel", "Cancel a submitted experiment: every queued and running task (scancel); "
                                                   "no task requeues itself afterwards. Finished runs are kept, stopped ones "
                                                   "keep their last batch");
  cancel->add_option("root", c->root, "The experiment's folder")->required();
  cancel->add_option("--kind", c->kind, "Which experiment of a shared folder (default: the one planned last)");
  setExamples(cancel, {{"Stop a submitted Table 2", "mlsan cluster cancel runs/table2"}});
  cancel->callback([c] {
    const std::string root = fs::absolute(c->root).lexically_normal().string();
    const auto s = ex::loadSubmission(root, c->kind);
    if (s.jobId.empty()) {
      std::printf("nothing to cancel: the %s experiment had nothing to train when it was submitted\n", s.kind.c_str());
      return;
    }
    ex::cancelSubmission(root, s);
    std::printf("cancelled Slurm job %s (%s experiment in %s); submit it again to continue the unfinished runs\n", s.jobId.c_str(),
                s.kind.c_str(), root.c_str());
  });
}

}  // namespace mlsan::app
