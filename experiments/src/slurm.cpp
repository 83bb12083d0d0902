// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/slurm.h"

#include <filesystem>
#include <sstream>

#include "mlsan/data/atomic_file.h"
#include "mlsan/experiments/runner.h"

namespace mlsan::experiments {
namespace fs = std::filesystem;

std::string slurmScript(const Experiment& e, const std::string& root, const SlurmOptions& o) {
  std::ostringstream s;
  const std::size_t n = e.tasks.size();
  const std::string name = o.jobName.empty() ? "mlsan-" + e.kindName() : o.jobName;
  s << "#!/bin/bash\n"
    << "# ML-SAN Studio experiment '" << e.kindName() << "' on " << e.base.corpus << ": " << e.groups.size() << " variant(s) x "
    << e.seeds.size() << " seed(s) = " << n << " runs, one `mlsan train` per array task.\n"
    << "# Submit:   sbatch " << shellQuote((fs::path(root) / (e.kindName() + ".sbatch")).string()) << "\n"
    << "# Gather:   mlsan collect " << shellQuote(root) << " --kind " << e.kindName() << "   (when the array has finished; --format csv|markdown|latex)\n"
    << "# Without Slurm: bash THIS_SCRIPT INDEX runs task INDEX (0.." << (n ? n - 1 : 0) << ") here.\n"
    << "# A task that was interrupted (time limit, node failure) continues from its last epoch when resubmitted.\n"
    << "#SBATCH --job-name=" << name << "\n"
    << "#SBATCH --array=0-" << (n ? n - 1 : 0);
  if (o.maxParallel > 0) s << "%" << o.maxParallel;
  s << "\n#SBATCH --cpus-per-task=" << std::max(1, e.base.threads) << "\n"
    << "#SBATCH --time=" << o.time << "\n"
    << "#SBATCH --mem=" << o.memory << "\n"
    << "#SBATCH --output=" << (fs::path(root) / "slurm" / "%A_%a.out").string() << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  if (e.base.device.rfind("cuda", 0) == 0) s << "#SBATCH --gres=gpu:1\n";
  s << "set -euo pipefail\n"
    << "MLSAN=${MLSAN:-" << shellQuote(o.mlsan) << "}\n"
    << "TASK=${SLURM_ARRAY_TASK_ID:-${1:?usage: $0 TASK_INDEX (outside Slurm)}}\n"
    << "export OMP_NUM_THREADS=" << std::max(1, e.base.threads) << "\n"
    << "mkdir -p " << shellQuote((fs::path(root) / "slurm").string()) << "\n"
    << "case \"$TASK\" in\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto args = trainCommand(e.tasks[i].args, (fs::path(root) / e.tasks[i].dir).string(), true);
    s << "  " << i << ")  # " << e.groups[e.tasks[i].group].title << ", seed " << e.tasks[i].seed << "\n    exec \"$MLSAN\"";
    for (const auto& a : args)
      if (a != "--events") s << " " << shellQuote(a);
    s << " ;;\n";
  }
  s << "  *) echo \"task index $TASK is out of range 0.." << (n ? n - 1 : 0) << "\" >&2; exit 2 ;;\nesac\n";
  return s.str();
}

std::string writeSlurm(const Experiment& e, const std::string& root, const SlurmOptions& options) {
  e.save(root);
  const std::string path = (fs::path(root) / (e.kindName() + ".sbatch")).string();
  data::atomicWriteFile(path, slurmScript(e, root, options));
  std::error_code ec;
  fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add, ec);
  return path;
}

}  // namespace mlsan::experiments
