// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment on a Slurm cluster: submitted as a job array (slurm.h), followed with squeue
// and the task folders, cancelled with scancel, from this process or any later one. What was
// submitted is kept in ROOT/slurm/<kind>.submission.json, so `mlsan cluster status ROOT`, a
// later `mlsan collect ROOT` and the studio find the experiment again after the shell or the
// studio was closed.
//
// How a task stands comes from three places, so it is known even on a cluster without job
// accounting (sacct): squeue while the scheduler lists the task (pending with its reason,
// running with its node), the exit file the task's script writes when it ends (slurm.h), and
// the run folder (curves.csv for the epoch, metrics.json once finished). The scheduler is
// asked once per poll for the whole array, never per task. No Qt, no torch. Any thread.
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "mlsan/experiments/runner.h"
#include "mlsan/experiments/slurm.h"

namespace mlsan::experiments {

/// A Slurm client program: $MLSAN_SLURM_BIN/<name> when that is set, else <name> on PATH.
std::string slurmProgram(const std::string& name);

/// What was submitted: ROOT/slurm/<kind>.submission.json.
struct Submission {
  std::string kind;         ///< the experiment's kind ("ablation", ...)
  std::string jobId;        ///< the array's job id ("1234"); empty when nothing had to be trained
  std::vector<int> tasks;   ///< the experiment's task indices in the array (those unfinished when submitted)
  std::string script;       ///< the script given to sbatch
  std::string submittedAt;  ///< UTC, ISO 8601
  std::string cluster;      ///< SLURM_CONF at submission ("" for the default)
  SlurmOptions options;
  nlohmann::json toJson() const;
  /// Throws std::runtime_error naming `file` when the object is not a submission.
  static Submission fromJson(const nlohmann::json& j, const std::string& file);
};

std::string submissionFile(const std::string& root, const std::string& kind);
/// The submissions in a root, by kind; empty when none.
std::vector<Submission> submissionsIn(const std::string& root);
/// The submission of `kind` (default: the experiment planned last in the root). Throws
/// std::runtime_error naming the file when there is none.
Submission loadSubmission(const std::string& root, const std::string& kind = {});

/// Plans the experiment into `root`, writes the script for the tasks whose runs are not finished
/// and submits it with `sbatch --parsable`; saves the submission. When every run is finished,
/// submits nothing (jobId empty). Refuses (std::runtime_error) when a task's run folder is still
/// queued or running in an earlier submission of this root, and names sbatch's own message when
/// the scheduler refuses the job (a partition or account that does not exist, too much memory...).
Submission submitExperiment(const Experiment& e, const std::string& root, SlurmOptions options);

/// One task on the cluster.
struct ClusterTask {
  TaskStatus status;       ///< state, epoch of epochs, validation F1; when done the test F1; when
                           ///< failed, `message` is the log's last lines
  std::string slurmState;  ///< squeue's state (PENDING, RUNNING, COMPLETED...); "" once no longer listed
  std::string reason;      ///< why a pending task waits (Priority, Resources, BeginTime...), or its node when running
  std::string jobId;       ///< "1234_5"; "" for a task finished before the submission
  int restarts = 0;        ///< times it was requeued
  bool requeued = false;   ///< it stopped on a signal and requeued itself: waiting to continue
  std::string log;         ///< its Slurm output file
};

/// squeue -h -r -t all -j JOB -o "%i|%T|%r|%N" output -> task index -> (state, reason or node).
std::map<int, std::pair<std::string, std::string>> parseSqueue(const std::string& text, const std::string& jobId);

/// The state of every task of the experiment (one squeue call). Throws std::runtime_error when
/// squeue cannot be run at all; a job the scheduler has forgotten is read from the files.
std::vector<ClusterTask> clusterStatus(const Experiment& e, const std::string& root, const Submission& s);

/// Marks the submission cancelled (no task requeues itself any more) and scancels its array.
/// Throws naming scancel's message when it refuses.
void cancelSubmission(const std::string& root, const Submission& s);

/// Polls every `pollSeconds` (at least 2) until every task has ended or `stop()` returns true,
/// and reports what changed: taskChanged (state, epoch), taskEpoch (each new curves.csv record,
/// as the "epoch" event of runner.h), taskLog (a failed task's last log lines). Returns the
/// last status.
std::vector<ClusterTask> followSubmission(const Experiment& e, const std::string& root, const Submission& s,
                                          RunnerObserver& observer, double pollSeconds, const std::function<bool()>& stop);

/// Whether the files alone say a submission may still have work on the cluster (a task of its
/// array with no metrics.json and no exit file that ends it for good); asks no scheduler.
bool mayStillRun(const Experiment& e, const std::string& root, const Submission& s);
/// The submissions of the experiment folders directly under `runsRoot` (<runsRoot>/*/slurm/),
/// each with its experiment folder, newest first.
std::vector<std::pair<std::string, Submission>> submissionsUnder(const std::string& runsRoot);

/// Whether every task has ended (done, failed or cancelled); false for no tasks (nothing known yet).
bool allEnded(const std::vector<ClusterTask>& tasks);
/// The last `lines` non-empty lines of a file (progress redraws dropped); "" when unreadable.
std::string logTail(const std::string& path, int lines = 8);

}  // namespace mlsan::experiments
