// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// An experiment's result table: per group, the test weighted F1 (validation-selected epoch) of
// each seed's run, mean +- std, the delta to the reference group and the paired t-test p over
// the seeds both have. Read from the run folders' metrics.json, so the command line, the
// studio and `mlsan collect` after a Slurm array all compute it the same way. Any thread.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlsan/experiments/experiment.h"
#include "mlsan/experiments/factorial.h"

namespace mlsan::experiments {

struct ResultRow {
  std::string key, title;
  std::vector<double> runs;   ///< per seed of the experiment, NaN where the run is not finished
  int finished = 0;
  double mean = std::nan(""), std = std::nan("");
  double delta = std::nan("");  ///< mean - reference mean
  double pValue = std::nan(""); ///< paired t-test against the reference (NaN for the reference or < 2 pairs)
  bool reference = false;
  int components = -1;          ///< componentMask of the row's configuration (1 FiLM, 2 Gate, 4 Aux)
};

struct ResultTable {
  std::string kind;      ///< the experiment's kind name
  std::string corpus;    ///< the corpus argument
  std::string metric = "test weighted F1 (%) of the validation-selected epoch";
  std::vector<std::uint64_t> seeds;
  std::vector<ResultRow> rows;
  std::vector<std::string> problems;  ///< runs missing, unfinished or unreadable (file + reason)
  /// The factorial experiment's effects and Shapley attribution (absent for other kinds).
  std::optional<FactorialAnalysis> factorial;
  bool complete() const { return problems.empty(); }
};

/// Reads each task's <root>/<dir>/metrics.json (and checks its config.json is the task's
/// seed and variant). Missing or broken runs become NaN and a line in `problems`. For a
/// factorial experiment it also runs analyseFactorial on the rows.
ResultTable collectResults(const Experiment& e, const std::string& root);

std::string toCsv(const ResultTable& t);
std::string toMarkdown(const ResultTable& t);
/// A booktabs table (\toprule, \midrule, \bottomrule); needs \usepackage{booktabs}.
std::string toLatex(const ResultTable& t);
nlohmann::json toJson(const ResultTable& t);
/// Plain text for a terminal.
std::string toText(const ResultTable& t);
/// Writes the table atomically in the format its extension names (.csv, .md, .tex, .json, .txt).
/// Throws std::runtime_error naming the file on an unknown extension or a write error.
void exportTable(const ResultTable& t, const std::string& path);

}  // namespace mlsan::experiments
