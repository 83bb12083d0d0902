// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment: a set of `mlsan train` runs laid out under one root folder, one per
// (group, seed), whose results form one table. Groups are the table's rows: the paper's
// Table 2 (full ML-SAN, w/o FiLM, w/o Gate, w/o Aux, MultiEMO) or the lambda sweep of its
// section 4.5 (one row per lambda). The root holds experiment.json (this object) and
// <group>/seed<N>/, each a run folder as `mlsan train` writes it. No torch, no Qt. Any thread.
#include <cstdint>
#include <string>
#include <vector>

#include "mlsan/experiments/train_args.h"

namespace mlsan::experiments {

enum class ExperimentKind { Ablation, LambdaSweep, Seeds };

/// One row of the result table.
struct ExperimentGroup {
  std::string key;    ///< folder name: "full", "no_film", "lambda_0.5", "run"
  std::string title;  ///< "ML-SAN (full)", "w/o FiLM", "lambda = 0.5"
  TrainArgs args;     ///< the group's options (seed and threads are set per task)
};

/// One training run of the experiment.
struct ExperimentTask {
  int group = 0;           ///< index into Experiment::groups
  std::uint64_t seed = 1;
  std::string dir;         ///< relative to the root: "<group key>/seed<N>"
  TrainArgs args;          ///< complete options of this run
  std::string label() const;  ///< "full seed 2"
};

struct Experiment {
  ExperimentKind kind = ExperimentKind::Ablation;
  TrainArgs base;                      ///< common options (variant switches and lambda set per group)
  std::vector<std::uint64_t> seeds;
  std::vector<ExperimentGroup> groups;
  int reference = 0;                   ///< the group deltas and p-values are taken against
  std::vector<ExperimentTask> tasks;   ///< group-major, seed-minor

  /// The paper's Table 2: full, w/o FiLM, w/o Gate, w/o Aux, MultiEMO; reference = full.
  static Experiment ablation(const TrainArgs& base, const std::vector<std::uint64_t>& seeds);
  /// Full ML-SAN at each lambda (sorted, duplicates dropped); `referenceLambda` (the preset's)
  /// is added when missing and is the reference row.
  static Experiment lambdaSweep(const TrainArgs& base, std::vector<double> lambdas, double referenceLambda,
                                const std::vector<std::uint64_t>& seeds);
  /// One configuration over several seeds (the Training panel with more than one seed).
  static Experiment seedRuns(const TrainArgs& base, const std::vector<std::uint64_t>& seeds);

  std::string kindName() const;  ///< "ablation", "lambda-sweep", "seeds"
  nlohmann::json toJson() const;
  /// Throws std::runtime_error naming `file` when the object is not an experiment.
  static Experiment fromJson(const nlohmann::json& j, const std::string& file);
  /// Writes <root>/experiment.json atomically (creating root).
  void save(const std::string& root) const;
  /// Reads <root>/experiment.json; throws naming the file.
  static Experiment load(const std::string& root);

 private:
  void makeTasks();
};

/// "1,2,3" or "1-5" or "1-3,7" -> seeds; throws std::invalid_argument on bad text.
std::vector<std::uint64_t> parseSeeds(const std::string& text);
/// "0,0.1,0.5" -> values; throws std::invalid_argument on bad text or a negative value.
std::vector<double> parseLambdas(const std::string& text);
/// The lambdas a sweep uses by default (section 4.5 of the paper: a broad range around 0.2-0.5).
std::vector<double> defaultLambdas();
/// The file experiment.json in a root.
std::string experimentFile(const std::string& root);

}  // namespace mlsan::experiments
