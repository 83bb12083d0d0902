// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan ablation, sweep and collect: experiments over many runs, each run an `mlsan train`
// child process (at most --jobs at a time), or a Slurm job array; and mlsan demo.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "commands.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/experiments/results.h"
#include "mlsan/experiments/runner.h"
#include "mlsan/experiments/slurm.h"
#include "mlsan/model/run.h"
#include "terminal_progress.h"

namespace mlsan::app {
namespace fs = std::filesystem;
using nlohmann::json;
namespace ex = experiments;

namespace {

/// Prints the queue's progress as lines on stderr.
class TerminalObserver : public ex::RunnerObserver {
 public:
  TerminalObserver(const std::vector<ex::ChildTask>& tasks, bool verbose)
      : tasks_(tasks), verbose_(verbose), last_(tasks.size(), ex::TaskState::Queued) {}
  void taskChanged(int task, const ex::TaskStatus& s) override {
    const bool changed = last_[task] != s.state;
    last_[task] = s.state;
    if (!changed) return;
    if (s.state == ex::TaskState::Running)
      std::fprintf(stderr, "[%d/%zu] %s: started (pid %d)\n", task + 1, tasks_.size(), tasks_[task].label.c_str(), s.pid);
    else if (s.state == ex::TaskState::Done)
      std::fprintf(stderr, "[%d/%zu] %s: %s, test weighted F1 %.2f (epoch %d), %.0f s\n", task + 1, tasks_.size(),
                   tasks_[task].label.c_str(), s.reused ? "already finished" : "done", s.testF1, s.bestEpoch, s.seconds);
    else if (s.state == ex::TaskState::Failed)
      std::fprintf(stderr, "[%d/%zu] %s: FAILED: %s\n", task + 1, tasks_.size(), tasks_[task].label.c_str(), s.message.c_str());
  }
  void taskEpoch(int task, const json& r) override {
    if (!verbose_) return;
    std::fprintf(stderr, "[%d/%zu] %s: epoch %d/%d, val W-F1 %.2f\n", task + 1, tasks_.size(), tasks_[task].label.c_str(),
                 r.value("epoch", 0), r.value("epochs", 0), r.value("val_weighted_f1", 0.0));
  }

 private:
  const std::vector<ex::ChildTask>& tasks_;
  bool verbose_;
  std::vector<ex::TaskState> last_;
};

/// Options every experiment command shares.
struct ExperimentOptions {
  TrainOptions train;
  int seeds = 3;
  std::string seedList;
  std::string out;
  int jobs = 0;
  bool asJson = false, verbose = false;
  std::string format = "text";
  std::vector<std::string> exports;
  std::string slurm;  ///< write a Slurm array script instead of running
  ex::SlurmOptions slurmOptions;
  bool submit = false, noFollow = false;
  double poll = 5;

  void addTo(CLI::App* cmd, bool variantSwitches = false) {
    train.threads = 1;
    train.addCorpusTo(cmd, false);
    cmd->add_option("--seeds", seeds, "Seeds per variant: 1..N")->capture_default_str()->check(CLI::Range(1, 100));
    cmd->add_option("--seed-list", seedList, "Explicit seeds instead of --seeds, e.g. 1,2,3 or 1-5");
    train.addTo(cmd, variantSwitches);
    cmd->add_option("--jobs,-j", jobs, "Training processes at once (default: CPU cores / --threads)");
    cmd->add_option("--out", out, "Folder for the experiment (default: runs/experiments-<corpus>, shared by ablation, "
                                  "factorial and sweep): runs are kept by configuration and seed, so finished runs in it are "
                                  "reused by any experiment, interrupted ones resumed");
    cmd->add_option("--format", format, "How to print the table: text, csv, markdown, latex or json")
        ->check(CLI::IsMember({"text", "csv", "markdown", "latex", "json"}))
        ->capture_default_str();
    cmd->add_option("--export", exports, "Also write the table to FILE (.csv, .md, .tex, .json or .txt); repeatable");
    cmd->add_flag("--json", asJson, "Same as --format json");
    cmd->add_flag("--verbose,-v", verbose, "Print every epoch of every run");
    cmd->add_option("--slurm", slurm,
                    "Do not train here: write the experiment as a Slurm job array script to SCRIPT (one mlsan train per "
                    "task; the runs go to --out; gather them with mlsan collect)")
        ->type_name("SCRIPT");
    cmd->add_option("--slurm-time", slurmOptions.time, "Slurm: time limit per task")->capture_default_str();
    cmd->add_option("--slurm-mem", slurmOptions.memory, "Slurm: memory per task")->capture_default_str();
    cmd->add_option("--slurm-partition", slurmOptions.partition, "Slurm: partition");
    cmd->add_option("--slurm-account", slurmOptions.account, "Slurm: account");
    cmd->add_option("--slurm-max-parallel", slurmOptions.maxParallel, "Slurm: at most this many array tasks at once (%N; 0 = no limit: not kind to a shared queue)")
        ->capture_default_str();
    cmd->add_option("--slurm-mlsan", slurmOptions.mlsan, "Slurm: the mlsan program on the nodes (default: this one)");
    cmd->add_option("--slurm-gpus", slurmOptions.gpus, "Slurm: GPUs per task when --device is cuda")->capture_default_str();
    cmd->add_option("--slurm-warning", slurmOptions.warningSeconds,
                    "Slurm: seconds before the time limit (or preemption) at which a task is told to stop and requeue itself; "
                    "0 asks for no warning")
        ->capture_default_str();
    cmd->add_option("--slurm-max-requeue", slurmOptions.maxRequeue, "Slurm: at most this many requeues of an interrupted task")
        ->capture_default_str();
    cmd->add_flag("--submit", submit,
                  "Submit the runs not finished yet to Slurm (sbatch), follow them (squeue) and print the table when all have "
                  "ended, as the local command does; Ctrl-C stops following, not the jobs");
    cmd->add_flag("--no-follow", noFollow, "With --submit: return once submitted (follow later with mlsan cluster status ROOT --follow)");
    cmd->add_option("--poll", poll, "With --submit: seconds between two looks at the queue (at least 2)")->capture_default_str();
  }

  std::vector<std::uint64_t> seedValues() const {
    if (!seedList.empty()) {
      try {
        return ex::parseSeeds(seedList);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(e.what());
      }
    }
    std::vector<std::uint64_t> s;
    for (int i = 1; i <= seeds; ++i) s.push_back(static_cast<std::uint64_t>(i));
    return s;
  }

  /// --out, or runs/experiments-<corpus>: one folder per corpus, so the leave-one-out table, the
  /// factorial and the sweep share their runs.
  std::string rootFor(std::string tag) const {
    if (!out.empty()) return out;
    for (auto& ch : tag)
      if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
    return "runs/experiments-" + tag;
  }
};

}  // namespace

void printExperimentTable(const ex::ResultTable& t, const std::string& format) {
  if (format == "json") printJson(ex::toJson(t));
  else if (format == "csv") std::fputs(ex::toCsv(t).c_str(), stdout);
  else if (format == "markdown") std::fputs(ex::toMarkdown(t).c_str(), stdout);
  else if (format == "latex") std::fputs(ex::toLatex(t).c_str(), stdout);
  else {
    std::printf("\n%s on %s, %zu seed(s): %s\n", t.kind.c_str(), t.corpus.c_str(), t.seeds.size(), t.metric.c_str());
    std::fputs(ex::toText(t).c_str(), stdout);
  }
  for (const auto& p : t.problems) std::fprintf(stderr, "note: %s\n", p.c_str());
}

namespace {

/// Runs (or writes as a Slurm array) an experiment and prints its table.
void runExperiment(const ex::Experiment& e, const std::string& root, ExperimentOptions& o) {
  const std::string format = o.asJson ? "json" : o.format;
  const std::string absRoot = fs::absolute(root).lexically_normal().string();
  if (!o.slurm.empty() || o.submit) {
    ex::SlurmOptions so = o.slurmOptions;
    if (so.mlsan == "mlsan" || so.mlsan.empty()) {
      const std::string self = ex::findMlsan();
      if (!self.empty()) so.mlsan = fs::absolute(self).string();
    }
    if (o.submit) {
      submitAndFollow(e, absRoot, so, !o.noFollow, o.poll, format, o.exports, o.slurm);
      return;
    }
    const std::string script = ex::writeSlurm(e, absRoot, so);
    if (o.slurm != script) {
      std::error_code ec;
      if (fs::path(o.slurm).has_parent_path()) fs::create_directories(fs::path(o.slurm).parent_path(), ec);
      data::atomicWriteFile(o.slurm, data::readFile(script));
      fs::permissions(o.slurm, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add, ec);
    }
    std::printf("%zu runs written as a Slurm job array: %s\nsubmit with: sbatch %s\nthen gather: mlsan collect %s --kind %s\n",
                e.tasks.size(), o.slurm.c_str(), o.slurm.c_str(), absRoot.c_str(), e.kindName().c_str());
    return;
  }
  e.save(absRoot);
  const auto children = ex::experimentChildren(e, absRoot);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int jobs = o.jobs > 0 ? o.jobs : std::max(1, cores / std::max(1, o.train.threads));
  std::fprintf(stderr, "%s on %s: %zu runs (%zu variants x %zu seeds), %d at a time with %d thread(s) each, in %s\n",
               e.kindName().c_str(), e.base.corpus.c_str(), children.size(), e.groups.size(), e.seeds.size(), jobs,
               o.train.threads, absRoot.c_str());
  TerminalObserver observer(children, o.verbose);
  const auto status = ex::runChildren(ex::findMlsan(), children, jobs, observer, [] { return TerminalProgress::interrupted(); });
  const auto table = ex::collectResults(e, absRoot);
  for (const auto& p : o.exports) {
    ex::exportTable(table, p);
    std::fprintf(stderr, "table written to %s\n", p.c_str());
  }
  int failed = 0, cancelled = 0;
  for (const auto& s : status) {
    failed += s.state == ex::TaskState::Failed;
    cancelled += s.state == ex::TaskState::Cancelled;
  }
  printExperimentTable(table, format);
  if (cancelled) throw CancelledError("cancelled with " + std::to_string(cancelled) + " run(s) unfinished; run the same command again to continue");
  if (failed) throw std::runtime_error(std::to_string(failed) + " run(s) failed (see above); the table holds the others");
}

}  // namespace

void addAblationCommands(CLI::App& app) {
  auto ab = std::make_shared<ExperimentOptions>();
  auto* cmd = app.add_subcommand("ablation",
                                 "The paper's Table 2: full ML-SAN, w/o FiLM, w/o Gate, w/o Aux and MultiEMO over seeds, "
                                 "as parallel mlsan train processes");
  ab->addTo(cmd);
  auto factorial = std::make_shared<bool>(false);
  cmd->add_flag("--factorial", *factorial,
                "All 8 subsets of {FiLM, Gate, Aux} instead of leaving one out: main effects and interactions with paired "
                "p, and the Shapley attribution of the gain over MultiEMO with Student-t 95% intervals over the seeds (none below 3)");
  setExamples(cmd,
      {
       {"Table 2 on the demo corpus over three seeds",
        "mlsan ablation --corpus demo --seeds 3"},
       {"The factorial table over five seeds (reuses the leave-one-out table's runs)",
        "mlsan ablation --factorial --corpus demo --seeds 5 --export factorial.md --export factorial.json"},
       {"On MELD, exported for the paper",
        "mlsan ablation --corpus MultiEMO/Data/MELD --seeds 5 --jobs 2 --export table2.tex --export table2.csv"},
       {"As a Slurm job array instead, gathered afterwards",
        "mlsan ablation --corpus MultiEMO/Data/MELD --seeds 5 --out runs/table2 --slurm table2.sbatch; sbatch table2.sbatch; mlsan collect runs/table2"}});
  cmd->callback([ab, factorial] {
    const std::string tag = ab->train.corpus;
    ab->train.openCorpus();  // fails early, with the reader's message, on a bad corpus
    const auto e = *factorial ? ex::Experiment::factorial(ab->train, ab->seedValues()) : ex::Experiment::ablation(ab->train, ab->seedValues());
    runExperiment(e, ab->rootFor(tag), *ab);
  });

  auto so = std::make_shared<ExperimentOptions>();
  auto* seeds = app.add_subcommand("seeds", "One configuration (ML-SAN, MultiEMO or an ablation) over seeds, as parallel mlsan "
                                            "train processes: mean +- std of the test weighted F1");
  so->addTo(seeds, true);
  setExamples(seeds,
      {
       {"ML-SAN over five seeds", "mlsan seeds --corpus demo --seeds 5"},
       {"MultiEMO over seeds 1-10 on a Slurm cluster, followed here",
        "mlsan seeds --corpus MultiEMO/Data/IEMOCAP --variant multiemo --seed-list 1-10 --submit --slurm-partition gpu --device cuda"}});
  seeds->callback([so] {
    const std::string tag = so->train.corpus;
    so->train.openCorpus();
    runExperiment(ex::Experiment::seedRuns(so->train, so->seedValues()), so->rootFor(tag), *so);
  });

  auto sw = std::make_shared<ExperimentOptions>();
  auto lambdas = std::make_shared<std::string>();
  auto* sweep = app.add_subcommand("sweep",
                                   "The lambda sweep of the paper's section 4.5: full ML-SAN at each auxiliary-loss weight "
                                   "over seeds, as parallel mlsan train processes");
  sw->addTo(sweep);
  sweep->add_option("--lambdas", *lambdas, "Comma-separated lambdas (default 0,0.1,0.2,0.3,0.5,0.7,1); the preset's is added "
                                           "and is the reference row");
  setExamples(sweep,
      {
       {"The default lambdas over three seeds",
        "mlsan sweep --corpus demo --seeds 3"},
       {"Chosen lambdas, as Markdown",
        "mlsan sweep --corpus demo --lambdas 0,0.2,0.5 --format markdown"}});
  sweep->callback([sw, lambdas] {
    const std::string tag = sw->train.corpus;
    const data::Corpus corpus = sw->train.openCorpus();
    model::ModelConfig m;
    model::TrainConfig t;
    sw->train.resolve(corpus, m, t);
    const double reference = model::preset(sw->train.preset.empty() ? model::presetForDataset(corpus.dataset) : sw->train.preset).model.lambda;
    std::vector<double> values;
    try {
      values = lambdas->empty() ? ex::defaultLambdas() : ex::parseLambdas(*lambdas);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
    ex::TrainArgs base = sw->train;
    base.lambda = -1;
    const auto e = ex::Experiment::lambdaSweep(base, values, reference, sw->seedValues());
    runExperiment(e, sw->rootFor(tag), *sw);
  });

  auto root = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("text");
  auto exports = std::make_shared<std::vector<std::string>>();
  auto* collect = app.add_subcommand("collect", "Gather an experiment's table from its run folders (after a Slurm array, or any time)");
  collect->add_option("root", *root, "The experiment's folder (holding experiment.json)")->required();
  auto kind = std::make_shared<std::string>();
  collect->add_option("--kind", *kind, "Which experiment of a shared folder: ablation, factorial, lambda-sweep or seeds "
                                       "(default: the one planned last)");
  collect->add_option("--format", *format, "text, csv, markdown, latex or json")
      ->check(CLI::IsMember({"text", "csv", "markdown", "latex", "json"}))
      ->capture_default_str();
  collect->add_option("--export", *exports, "Also write the table to FILE (.csv, .md, .tex, .json or .txt); repeatable");
  auto collectJson = std::make_shared<bool>(false);
  collect->add_flag("--json", *collectJson, "Same as --format json");
  setExamples(collect,
      {
       {"The table of an experiment whose runs ran elsewhere (a Slurm array)",
        "mlsan collect runs/table2"},
       {"As LaTeX and CSV files",
        "mlsan collect runs/table2 --export table2.tex --export table2.csv"}});
  collect->callback([root, format, exports, collectJson, kind] {
    if (*collectJson) *format = "json";
    const auto e = ex::Experiment::load(*root, *kind);
    const auto table = ex::collectResults(e, *root);
    for (const auto& p : *exports) ex::exportTable(table, p);
    printExperimentTable(table, *format);
    if (!table.complete())
      std::fprintf(stderr, "%zu of %zu runs are not finished yet\n", table.problems.size(), e.tasks.size());
  });

  auto dopts = std::make_shared<TrainOptions>();
  auto dout = std::make_shared<std::string>();
  auto* demo = app.add_subcommand("demo", "Train MultiEMO and ML-SAN on the built-in demo corpus and compare them");
  dopts->addTo(demo, false);
  demo->add_option("--seed", dopts->seed, "Random seed")->capture_default_str();
  demo->add_option("--out", *dout, "Folder for the two runs (default: runs/demo-<time>)");
  setExamples(demo,
      {
       {"Both demo models and their comparison",
        "mlsan demo"},
       {"Shorter, into a chosen folder",
        "mlsan demo --epochs 5 --out runs/demo-short"}});
  demo->callback([dopts, dout] {
    const data::Corpus corpus = data::openCorpus("demo");
    const std::string root = dout->empty() ? timestampedDir("runs", "demo") : *dout;
    std::printf("ML-SAN Studio demo: %s, %zu dialogues, %zu utterances, %zu speakers\n", corpus.name.c_str(), corpus.dialogues.size(),
                corpus.numUtterances(), corpus.speakers.size());
    std::string dirs[2];
    const char* names[2] = {"multiemo", "mlsan"};
    for (int k = 0; k < 2; ++k) {
      TrainOptions o = *dopts;
      o.corpus = "demo";
      o.variant = names[k];
      model::ModelConfig m;
      model::TrainConfig t;
      o.resolve(corpus, m, t);
      dirs[k] = root + "/" + names[k];
      const auto r = trainRun(corpus, m, t, dirs[k], fs::exists(model::RunPaths(dirs[k]).lastCheckpoint()), names[k], false);
      if (r.cancelled) throw std::runtime_error("demo cancelled");
      std::printf("%-9s test weighted F1 %.2f (epoch %d of %d, selected on validation), %.1f s\n", names[k], r.testWeightedF1,
                  r.bestEpoch, r.epochsDone, r.seconds);
    }
    std::printf("\n");
    printComparison(compareRuns(dirs[0], dirs[1]));
    std::printf("\nRuns are in %s (mlsan eval %s/mlsan, mlsan compare %s/multiemo %s/mlsan)\n", root.c_str(), root.c_str(),
                root.c_str(), root.c_str());
  });
}


}  // namespace mlsan::app
