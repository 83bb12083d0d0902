// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The `mlsan` subcommands. Each add* function registers one subcommand on the CLI11 app;
// its callback throws on error (main prints the message and exits non-zero).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "mlsan/analysis/disentangle.h"
#include "mlsan/data/corpus.h"
#include "mlsan/data/corpus_source.h"
#include "mlsan/experiments/train_args.h"
#include "mlsan/extract/pipeline.h"
#include "mlsan/model/torchscript_extractors.h"
#include "mlsan/model/config.h"
#include "mlsan/model/engine.h"

namespace mlsan::experiments {
struct Experiment;
struct ResultTable;
struct SlurmOptions;
}  // namespace mlsan::experiments

namespace mlsan::app {

void addCorpusCommands(CLI::App& app);   // corpus demo, inspect
void addTrainCommands(CLI::App& app);    // train, eval
void addCompareCommand(CLI::App& app);   // compare
void addAblationCommands(CLI::App& app); // ablation, sweep, collect, demo
void addBenchCommand(CLI::App& app);     // bench train|infer|load
void addDisentangleCommand(CLI::App& app); // disentangle
void addTsneCommand(CLI::App& app);        // tsne
void addImportCommand(CLI::App& app);      // import-multiemo
void addExplainCommand(CLI::App& app);     // explain
void addExtractCommand(CLI::App& app);     // extract
void addClusterCommands(CLI::App& app);    // cluster status|cancel
void addGradientsCommand(CLI::App& app);   // gradients

/// Prints an experiment's table as text, csv, markdown, latex or json, and its notes on stderr.
void printExperimentTable(const experiments::ResultTable& t, const std::string& format);
/// Submits an experiment to Slurm (the unfinished runs; the script is also copied to
/// `scriptCopy` when given), then, with `follow`, follows it every
/// `poll` seconds with a line per change, and prints its table when every task has ended.
/// Throws when a task failed (after the table), CancelledError when one was cancelled or the
/// following was interrupted (Ctrl-C: the jobs keep running).
void submitAndFollow(const experiments::Experiment& e, const std::string& root, const experiments::SlurmOptions& options,
                     bool follow, double poll, const std::string& format, const std::vector<std::string>& exports,
                     const std::string& scriptCopy = {});

/// Sets `cmd`'s --help footer to an "Examples:" block of (comment, command line) pairs; the
/// manual pages turn it into their EXAMPLES section.
void setExamples(CLI::App* cmd, std::initializer_list<std::pair<const char*, const char*>> examples);

/// Writes mlsan.1 and mlsan-COMMAND.1 (one per subcommand, nested ones too) into `dir`;
/// returns how many. Throws naming every option or command without help text.
int writeManPages(const CLI::App& app, const std::string& dir, const std::string& version);

/// A run's selected model and the corpus it was trained on (or `corpusOverride`), for eval and
/// disentangle. Throws naming the file when the run has no model or no recorded corpus.
model::Model openRunModel(const std::string& run, const std::string& corpusOverride, data::Corpus* corpus);
/// The inputs of `mlsan extract` and `mlsan bench extract`: one source and the extractors.
struct ExtractInputs {
  extract::ExtractSource source;
  model::ExtractorFiles models;
  int threads = 0;
  /// Registers the inputs and the models (and --threads unless the command has its own).
  void addTo(CLI::App* cmd, bool withThreads = true);
  /// Throws CLI::ValidationError unless exactly one input was given.
  void check() const;
  extract::ExtractPlan plan() const;
  extract::Extractors extractors() const;
};
/// Runs an extraction with a progress bar and ETA on stderr (none when quiet), problems as they
/// come, and Ctrl-C as cancel.
extract::ExtractReport runExtractWithProgress(const extract::ExtractPlan& plan, const extract::Extractors& ex,
                                              extract::ExtractOptions options, bool quiet);

/// `mlsan bench load` (bench_load.cpp): one JSON object with the figures; progress on stderr unless quiet.
nlohmann::json benchLoad(int repeats, const std::string& workDir, bool quiet);
/// `mlsan bench extract` (cmd_extract.cpp): extracts `inputs` into a temporary folder (fresh, then
/// again from its cache) and returns the figures.
nlohmann::json benchExtract(ExtractInputs inputs, int threads, bool quiet);
void printExtractBench(const nlohmann::json& j);
void printLoad(const nlohmann::json& j);

/// The JSON form of one feature set's disentanglement numbers (cmd_disentangle.cpp).
nlohmann::json disentangleJson(const analysis::DisentangleNumbers& r, const std::vector<std::string>& emotions = {});
/// `mlsan bench tsne` (cmd_tsne.cpp): the t-SNE engine on a MELD-sized clustered matrix (or
/// `input`), once per entry of dimsList; writes the generated matrix to writeInput when given.
nlohmann::json benchTsne(const std::string& input, const std::string& writeInput, const std::vector<int>& dimsList, int threads,
                         int iterations, const std::string& gradient, bool quiet);
void printTsneBench(const nlohmann::json& j);

/// The help text of a corpus argument.
extern const char* const kCorpusHelp;
/// Registers --csv and --clips for a corpus argument.
void addCorpusPartsTo(CLI::App* cmd, std::string& csvDir, std::string& clipsDir);
/// The source a corpus argument plus --csv/--clips name.
data::CorpusSource corpusSource(const std::string& corpus, const std::string& csvDir, const std::string& clipsDir);

/// Options shared by train, ablation, sweep and demo: the data of experiments::TrainArgs plus
/// their command-line form.
struct TrainOptions : experiments::TrainArgs {
  /// Registers --corpus (required, or defaulting to "demo"), --csv and --clips.
  void addCorpusTo(CLI::App* cmd, bool required);
  /// Opens the corpus and replaces `corpus` by its canonical text form (what a run records).
  data::Corpus openCorpus();
  /// Registers the shared options (all but --corpus/--variant/--seed, which callers add).
  void addTo(CLI::App* cmd, bool withVariantSwitches);
  /// Resolves preset + overrides + corpus into configs.
  void resolve(const data::Corpus& corpus, model::ModelConfig& m, model::TrainConfig& t) const;
};

/// Thrown when the user cancelled (Ctrl-C, SIGTERM): main exits with status 3.
class CancelledError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Prints one JSON object on stdout.
void printJson(const nlohmann::json& j);

/// Trains one run with a terminal progress bar (quiet: messages only).
model::TrainResult trainRun(const data::Corpus& corpus, const model::ModelConfig& m, const model::TrainConfig& t,
                            const std::string& out, bool resume, const std::string& label, bool quiet);

/// "runs/<name>-YYYYmmdd-HHMMSS"
std::string timestampedDir(const std::string& base, const std::string& name);

}  // namespace mlsan::app

namespace mlsan::app {
/// Compares two runs' test predictions (aligned by dialogue and position): weighted F1 of
/// each, per-class F1 with deltas, and McNemar's p. Throws when the runs do not align.
nlohmann::json compareRuns(const std::string& runA, const std::string& runB, const std::vector<std::string>& moreA = {},
                           const std::vector<std::string>& moreB = {}, int resamples = 1000);
void printComparison(const nlohmann::json& j);
}  // namespace mlsan::app
