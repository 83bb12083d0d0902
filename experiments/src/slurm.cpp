// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/slurm.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "mlsan/data/atomic_file.h"
#include "mlsan/experiments/runner.h"

namespace mlsan::experiments {
namespace fs = std::filesystem;
using nlohmann::json;

json SlurmOptions::toJson() const {
  return {{"mlsan", mlsan}, {"max_parallel", maxParallel}, {"time", time}, {"memory", memory}, {"partition", partition},
          {"account", account}, {"job_name", jobName}, {"gpus", gpus}, {"warning_seconds", warningSeconds},
          {"max_requeue", maxRequeue}, {"tasks", tasks}};
}

SlurmOptions SlurmOptions::fromJson(const json& j) {
  SlurmOptions o;
  o.mlsan = j.value("mlsan", o.mlsan);
  o.maxParallel = j.value("max_parallel", 8);
  o.time = j.value("time", o.time);
  o.memory = j.value("memory", o.memory);
  o.partition = j.value("partition", "");
  o.account = j.value("account", "");
  o.jobName = j.value("job_name", "");
  o.gpus = j.value("gpus", 1);
  o.warningSeconds = j.value("warning_seconds", 120);
  o.maxRequeue = j.value("max_requeue", 10);
  o.tasks = j.value("tasks", std::vector<int>{});
  return o;
}

std::string arrayRanges(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  std::string s;
  for (std::size_t i = 0; i < v.size();) {
    std::size_t j = i;
    while (j + 1 < v.size() && v[j + 1] == v[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(v[i]);
    if (j > i) s += "-" + std::to_string(v[j]);
    i = j + 1;
  }
  return s;
}

std::string slurmScript(const Experiment& e, const std::string& root, const SlurmOptions& o) {
  std::ostringstream s;
  const std::size_t n = e.tasks.size();
  const std::string name = o.jobName.empty() ? "mlsan-" + e.kindName() : o.jobName;
  std::vector<int> indices = o.tasks;
  if (indices.empty())
    for (std::size_t i = 0; i < n; ++i) indices.push_back(static_cast<int>(i));
  const std::string slurmDir = (fs::path(root) / "slurm").string();
  s << "#!/bin/bash\n"
    << "# ML-SAN Studio experiment '" << e.kindName() << "' on " << e.base.corpus << ": " << e.groups.size() << " variant(s) x "
    << e.seeds.size() << " seed(s) = " << n << " runs, one `mlsan train` per array task.\n"
    << "# Submit and follow:   mlsan cluster status " << shellQuote(root) << " --kind " << e.kindName() << " --follow   (after sbatch)\n"
    << "# Submit by hand:      sbatch " << shellQuote((fs::path(root) / (e.kindName() + ".sbatch")).string()) << "\n"
    << "# Gather:              mlsan collect " << shellQuote(root) << " --kind " << e.kindName() << "   (--format csv|markdown|latex)\n"
    << "# Without Slurm: bash THIS_SCRIPT INDEX runs task INDEX (0.." << (n ? n - 1 : 0) << ") here.\n"
    << "# An interrupted task (preemption, the time limit's warning, scancel --signal=TERM) keeps its\n"
    << "# epoch's batches, requeues itself (at most " << o.maxRequeue << " times) and continues where it stopped.\n"
    << "#SBATCH --job-name=" << name << "\n"
    << "#SBATCH --array=" << arrayRanges(indices);
  if (o.maxParallel > 0) s << "%" << o.maxParallel;
  s << "\n#SBATCH --cpus-per-task=" << std::max(1, e.base.threads) << "\n"
    << "#SBATCH --time=" << o.time << "\n"
    << "#SBATCH --mem=" << o.memory << "\n"
    << "#SBATCH --output=" << slurmDir << "/%A_%a.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --requeue\n";
  if (o.warningSeconds > 0) s << "#SBATCH --signal=B:TERM@" << o.warningSeconds << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  if (e.base.device.rfind("cuda", 0) == 0) s << "#SBATCH --gres=gpu:" << std::max(1, o.gpus) << "\n";
  s << "set -uo pipefail\n"
    << "MLSAN=${MLSAN:-" << shellQuote(o.mlsan) << "}\n"
    << "SLURM_DIR=" << shellQuote(slurmDir) << "\n"
    << "TASK=${SLURM_ARRAY_TASK_ID:-${1:?usage: $0 TASK_INDEX (outside Slurm)}}\n"
    << "export OMP_NUM_THREADS=" << std::max(1, e.base.threads) << "\n"
    << "mkdir -p \"$SLURM_DIR\"\n"
    << "case \"$TASK\" in\n";
  for (std::size_t i = 0; i < n; ++i) {
    const auto args = trainCommand(e.tasks[i].args, (fs::path(root) / e.tasks[i].dir).string(), true);
    s << "  " << i << ")  # " << e.groups[e.tasks[i].group].title << ", seed " << e.tasks[i].seed << "\n    set --";
    for (const auto& a : args)
      if (a != "--events") s << " " << shellQuote(a);
    s << " ;;\n";
  }
  s << "  *) echo \"task index $TASK is out of range 0.." << (n ? n - 1 : 0) << "\" >&2; exit 2 ;;\nesac\n"
    << "echo \"[$(date '+%F %T')] task $TASK on $(hostname), restart ${SLURM_RESTART_COUNT:-0}: $MLSAN $*\"\n"
    << "# Slurm's warning signal and scancel's TERM reach this shell: pass them on to mlsan train,\n"
    << "# which stops at the next batch and keeps it.\n"
    << "\"$MLSAN\" \"$@\" &\n"
    << "child=$!\n"
    << "trap 'kill -TERM \"$child\" 2>/dev/null' TERM INT\n"
    << "while :; do rc=0; wait \"$child\" || rc=$?; kill -0 \"$child\" 2>/dev/null || break; done\n"
    << "rc=0; wait \"$child\" || rc=$?\n"
    << "[ -n \"${SLURM_ARRAY_JOB_ID:-}\" ] || exit \"$rc\"\n"
    << "requeue=false\n"
    << "if [ \"$rc\" = 3 ] && [ ! -e \"$SLURM_DIR/cancelled-$SLURM_ARRAY_JOB_ID\" ] && [ \"${SLURM_RESTART_COUNT:-0}\" -lt "
    << o.maxRequeue << " ]; then requeue=true; fi\n"
    << "exit_file=\"$SLURM_DIR/${SLURM_ARRAY_JOB_ID}_${TASK}.exit\"\n"
    << "printf '{\"rc\":%d,\"restarts\":%d,\"requeued\":%s,\"host\":\"%s\",\"time\":\"%s\"}\\n' \"$rc\" \"${SLURM_RESTART_COUNT:-0}\" "
       "\"$requeue\" \"$(hostname)\" \"$(date -u +%FT%TZ)\" > \"$exit_file.tmp-$$\" && mv -f \"$exit_file.tmp-$$\" \"$exit_file\"\n"
    << "echo \"[$(date '+%F %T')] task $TASK: mlsan exited with status $rc$($requeue && echo ', requeued')\"\n"
    << "if $requeue; then scontrol requeue \"$SLURM_JOB_ID\" || echo \"scontrol requeue $SLURM_JOB_ID failed\" >&2; fi\n"
    << "exit \"$rc\"\n";
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
