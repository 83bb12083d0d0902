// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Runs `mlsan train` child processes, at most N at a time, and reports what each is doing.
// A child is started as `mlsan train <options> --out DIR --resume --events`: with --events it
// prints one JSON object per line on stdout:
//   {"event":"start","run":DIR,"epochs":E,"first_epoch":K}
//   {"event":"batch","epoch":e,"batch":b,"batches":n,"loss":x}
//   {"event":"epoch","epoch":e,"epochs":E,"train_loss":..,"val_loss":..,"val_weighted_f1":..,
//                    "test_weighted_f1":..,"lr":..,"seconds":..}
//   {"event":"message","text":".."}
//   {"event":"done","test_weighted_f1":..,"best_epoch":..,"epochs":..,"reused":bool,...}
//   {"event":"cancelled","epochs_done":k}      (exit status 3)
//   {"event":"error","message":".."}            (exit status 1)
// and its human-readable messages on stderr. Cancel sends SIGTERM, which `mlsan train` takes as
// "stop at the next batch boundary" (the last completed epoch stays resumable); children
// still alive 30 s later are killed. Children die with their parent (PR_SET_PDEATHSIG).
// runChildren() blocks; the studio calls it on a worker thread, the command line on its main
// thread. Observer calls come from the calling thread.
#include <functional>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlsan/experiments/experiment.h"

namespace mlsan::experiments {

enum class TaskState { Queued, Running, Done, Failed, Cancelled };
/// "queued", "running", "done", "failed", "cancelled"
const char* stateName(TaskState s);

struct TaskStatus {
  TaskState state = TaskState::Queued;
  int epoch = 0, epochs = 0;    ///< last completed epoch, of how many
  int batch = 0, batches = 0;   ///< within the epoch in progress
  double valF1 = std::nan("");  ///< validation weighted F1 of the last epoch (percent)
  double testF1 = std::nan(""); ///< when done: test weighted F1 of the validation-selected epoch
  int bestEpoch = 0;
  double seconds = 0;           ///< wall time since the child started
  bool reused = false;          ///< the run was already finished; nothing was trained
  int pid = 0;
  std::string message;          ///< the error when failed, else the last status line
};

/// How far a queue of tasks has got: what a progress bar and an ETA line show.
struct QueueProgress {
  int tasks = 0, ended = 0, running = 0, failed = 0;  ///< ended = done, failed or cancelled
  double fraction = 0;  ///< of the whole queue's work, counting running tasks by epoch and batch
  /// Seconds left at the rate so far, or NaN while under 2% is done.
  double remainingSeconds(double elapsedSeconds) const;
};
QueueProgress queueProgress(const std::vector<TaskStatus>& tasks);

/// One child process: the arguments after the program name, and a name for the queue.
struct ChildTask {
  std::vector<std::string> args;
  std::string label;
};

class RunnerObserver {
 public:
  virtual ~RunnerObserver() = default;
  /// A task's state or progress changed (at most ~10 times a second per task for batches).
  virtual void taskChanged(int /*task*/, const TaskStatus& /*status*/) {}
  /// One finished epoch of a task (the "epoch" event as printed by the child).
  virtual void taskEpoch(int /*task*/, const nlohmann::json& /*record*/) {}
  /// A line for the log: the child's stderr, its messages, and the runner's own notes.
  virtual void taskLog(int /*task*/, const std::string& /*line*/) {}
};

/// The `mlsan train` arguments of one run: "train", the options, --out, --resume, --events.
std::vector<std::string> trainCommand(const TrainArgs& args, const std::string& outDir, bool resume = true);
/// The children of an experiment rooted at `root` (one per task, each resuming its folder).
std::vector<ChildTask> experimentChildren(const Experiment& e, const std::string& root);

/// Runs the children with at most `parallel` at once until all have ended or `cancelled()` returns true
/// (then running children get SIGTERM and queued ones are marked cancelled). Returns the
/// final status of each. Throws std::runtime_error when `program` cannot be run at all.
std::vector<TaskStatus> runChildren(const std::string& program, const std::vector<ChildTask>& tasks, int parallel,
                                    RunnerObserver& observer, const std::function<bool()>& cancelled);

/// The `mlsan` to start: $MLSAN_BIN, else `mlsan` beside the running executable, else `mlsan`
/// on PATH. Returns "" when none is found.
std::string findMlsan();

}  // namespace mlsan::experiments
