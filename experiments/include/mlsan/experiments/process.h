// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Runs a program to completion and captures what it printed: what the cluster code uses to
// call sbatch, squeue, scontrol and scancel. No shell: the arguments go to the program as
// they are. Any thread.
#include <string>
#include <vector>

namespace mlsan::experiments {

struct CommandResult {
  int status = -1;   ///< exit status; 128 + N when killed by signal N
  std::string out;   ///< stdout
  std::string err;   ///< stderr
  bool timedOut = false;
};

/// Runs argv[0] (looked up on PATH) with argv[1..]. Kills it after `timeoutSeconds` (then
/// timedOut is set). Throws std::runtime_error naming the program when it cannot be started
/// (not installed, not executable).
CommandResult runCommand(const std::vector<std::string>& argv, double timeoutSeconds = 60);

}  // namespace mlsan::experiments
