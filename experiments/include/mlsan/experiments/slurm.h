// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment as a Slurm job array: one `mlsan train` per array task, the runs written to
// the experiment's root, and the table gathered afterwards by `mlsan collect ROOT`. The script
// is plain bash with #SBATCH lines; run outside Slurm it takes the task index from its first
// argument (`bash script.sbatch 3`), so it can be tried on one machine. Any thread.
#include <string>

#include "mlsan/experiments/experiment.h"

namespace mlsan::experiments {

struct SlurmOptions {
  std::string mlsan = "mlsan";  ///< the program on the cluster's nodes (absolute path or on PATH)
  int maxParallel = 0;          ///< array throttle ("%N"), 0 = none
  std::string time = "04:00:00";
  std::string memory = "8G";
  std::string partition;        ///< empty: the cluster's default
  std::string account;
  std::string jobName;          ///< empty: "mlsan-<kind>"
};

/// The script text. `root` should be absolute: the nodes run it from wherever sbatch was called.
std::string slurmScript(const Experiment& e, const std::string& root, const SlurmOptions& options);
/// Saves <root>/experiment.json and writes the script to <root>/<kind>.sbatch (executable).
/// Returns the script's path. Throws std::runtime_error naming the file on a write error.
std::string writeSlurm(const Experiment& e, const std::string& root, const SlurmOptions& options);

}  // namespace mlsan::experiments
