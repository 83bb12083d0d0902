// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment as a Slurm job array: one `mlsan train` per array task, the runs written to
// the experiment's root, and the table gathered afterwards by `mlsan collect ROOT` (or followed
// and gathered by cluster.h). The script is plain bash with #SBATCH lines; run outside Slurm it
// takes the task index from its first argument (`bash script.sbatch 3`), so it can be tried on
// one machine.
//
// On the cluster each task survives preemption and time limits: the script asks for a warning
// signal (--signal=B:TERM@<warning>) and passes it, like scancel's, to `mlsan train`, which
// keeps the batches of the epoch it is in (checkpoints/interrupted.pt) and exits with its
// cancel status 3. The task then requeues itself (scontrol requeue; --requeue) and continues
// with --resume, at most maxRequeue times, unless the experiment was cancelled (the file
// ROOT/slurm/cancelled-<job id>). A task that fails for another reason (status 1: a bad corpus,
// divergence) is never requeued. Every task ends by writing ROOT/slurm/<job>_<task>.exit
// ({"rc", "restarts", "requeued"}) atomically, beside its log ROOT/slurm/<job>_<task>.out, so
// how it ended is known without the scheduler's accounting. Any thread.
#include <string>
#include <vector>

#include "mlsan/experiments/experiment.h"

namespace mlsan::experiments {

struct SlurmOptions {
  std::string mlsan = "mlsan";  ///< the program on the cluster's nodes (absolute path or on PATH)
  int maxParallel = 8;          ///< array throttle ("%N"): at most this many tasks at once; 0 = none
  std::string time = "04:00:00";
  std::string memory = "8G";
  std::string partition;        ///< empty: the cluster's default
  std::string account;
  std::string jobName;          ///< empty: "mlsan-<kind>"
  int gpus = 1;                 ///< GPUs per task when the device is CUDA (--gres=gpu:N)
  int warningSeconds = 120;     ///< the signal before the time limit or preemption (0: none asked)
  int maxRequeue = 10;          ///< an interrupted task requeues itself at most this often
  std::vector<int> tasks;       ///< the task indices in the array; empty: all

  nlohmann::json toJson() const;
  static SlurmOptions fromJson(const nlohmann::json& j);
};

/// The script text. `root` should be absolute: the nodes run it from wherever sbatch was called.
std::string slurmScript(const Experiment& e, const std::string& root, const SlurmOptions& options);
/// Saves <root>/experiment.json and writes the script to <root>/<kind>.sbatch (executable).
/// Returns the script's path. Throws std::runtime_error naming the file on a write error.
std::string writeSlurm(const Experiment& e, const std::string& root, const SlurmOptions& options);
/// "0-4,7,9-12": task indices (sorted, distinct) as a Slurm --array list.
std::string arrayRanges(std::vector<int> indices);

}  // namespace mlsan::experiments
