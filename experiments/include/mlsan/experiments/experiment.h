// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment: a set of `mlsan train` runs laid out under one root folder, one per
// (group, seed), whose results form one table. Groups are the table's rows: the paper's
// Table 2 (full ML-SAN, w/o FiLM, w/o Gate, w/o Aux, MultiEMO), the factorial ablation (all 8
// subsets of FiLM, Gate and Aux) or the lambda sweep of its section 4.5 (one row per lambda).
//
// Runs are cached by (configuration, seed): a group's folder is named by its configuration
// (configKey: "full", "no_film", "no_gate_aux", "multiemo", "lambda_0.3", ...), not by the
// experiment, so several experiments can share one root and reuse each other's runs (the
// leave-one-out table's five rows are five of the factorial's eight; a sweep's preset lambda
// is "full"). A root holds experiment.json (the experiment planned last), <kind>.experiment.json
// per kind planned in it, and <configKey>/seed<N>/, each a run folder as `mlsan train` writes
// it. Experiments that share a root must share every option but the variant switches, the
// seeds and the threads (save() refuses otherwise, so a cached run is never another
// configuration's). No torch, no Qt. Any thread.
#include <cstdint>
#include <string>
#include <vector>

#include "mlsan/experiments/train_args.h"

namespace mlsan::experiments {

enum class ExperimentKind { Ablation, LambdaSweep, Seeds, Factorial, Comparison };

/// One row of the result table.
struct ExperimentGroup {
  std::string key;    ///< folder name, configKey(args): "full", "no_film", "lambda_0.5"
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
  /// The factorial ablation: all 8 subsets of {FiLM, Gate, Aux} (the empty one is MultiEMO),
  /// full first (the reference), then the three leave-one-out rows, the three single-component
  /// rows and MultiEMO.
  static Experiment factorial(const TrainArgs& base, const std::vector<std::uint64_t>& seeds);
  /// Full ML-SAN at each lambda (sorted, duplicates dropped); `referenceLambda` (the preset's)
  /// is added when missing and is the reference row.
  static Experiment lambdaSweep(const TrainArgs& base, std::vector<double> lambdas, double referenceLambda,
                                const std::vector<std::uint64_t>& seeds);
  /// ML-SAN against MultiEMO (the baseline), the same options otherwise; reference = ML-SAN.
  static Experiment comparison(const TrainArgs& base, const std::vector<std::uint64_t>& seeds);
  /// One configuration over several seeds (the Training panel with more than one seed).
  static Experiment seedRuns(const TrainArgs& base, const std::vector<std::uint64_t>& seeds);

  std::string kindName() const;  ///< "ablation", "lambda-sweep", "seeds", "factorial", "comparison"
  nlohmann::json toJson() const;
  /// Throws std::runtime_error naming `file` when the object is not an experiment.
  static Experiment fromJson(const nlohmann::json& j, const std::string& file);
  /// Writes <root>/experiment.json and <root>/<kind>.experiment.json atomically (creating
  /// root). Throws std::runtime_error naming the root when an experiment already planned there
  /// was trained with other shared options (sharedOptionsDiffer), whose runs would otherwise be
  /// taken for this one's.
  void save(const std::string& root) const;
  /// Reads <root>/experiment.json, or <root>/<kind>.experiment.json when `kind` is given;
  /// throws naming the file (and the kinds the root holds).
  static Experiment load(const std::string& root, const std::string& kind = {});
  /// The kinds planned in a root (from its <kind>.experiment.json files), sorted.
  static std::vector<std::string> kindsIn(const std::string& root);

 private:
  void makeTasks();
};

/// The folder name of a configuration relative to full ML-SAN: "multiemo" when FiLM, gate and
/// aux are all off; else "full" or "no_" + the parts switched off ("no_film", "no_gate_aux");
/// with an explicit lambda, "lambda_<l>" (full) or "<parts>_lambda_<l>".
std::string configKey(const TrainArgs& a);
/// Component bit mask of a configuration: 1 FiLM, 2 Gate, 4 Aux (0 = MultiEMO).
int componentMask(const TrainArgs& a);
/// The options that two experiments sharing a root must agree on (all but the variant switches,
/// the seed and the threads): the names of those that differ, with both values
/// ("epochs: 5 here, 0 there"); empty when they agree.
std::vector<std::string> sharedOptionsDiffer(const TrainArgs& a, const TrainArgs& b);
/// 8 hex digits naming the shared options (FNV-1a of their JSON): experiments whose options
/// agree get the same digest, so the studio can give each set of options its own shared folder.
std::string sharedOptionsDigest(const TrainArgs& a);

/// "1,2,3" or "1-5" or "1-3,7" -> seeds; throws std::invalid_argument on bad text.
std::vector<std::uint64_t> parseSeeds(const std::string& text);
/// "0,0.1,0.5" -> values; throws std::invalid_argument on bad text or a negative value.
std::vector<double> parseLambdas(const std::string& text);
/// The lambdas a sweep uses by default (section 4.5 of the paper: a broad range around 0.2-0.5).
std::vector<double> defaultLambdas();
/// The file experiment.json in a root.
std::string experimentFile(const std::string& root);

}  // namespace mlsan::experiments
