#include <cmath>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "mlsan/analysis/stats.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/model/run.h"

namespace mlsan::app {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
struct Variant {
  const char* name;
  const char* title;
  bool film, gate, aux;
};
const Variant kVariants[] = {{"full", "ML-SAN (full)", true, true, true},
                             {"no_film", "w/o FiLM", false, true, true},
                             {"no_gate", "w/o Gate", true, false, true},
                             {"no_aux", "w/o Aux loss", true, true, false},
                             {"multiemo", "MultiEMO", false, false, false}};

/// Test weighted F1 of a finished run whose configuration matches, or NaN.
double finishedRunF1(const std::string& dir, const model::ModelConfig& m, const model::TrainConfig& t) {
  const model::RunPaths p(dir);
  if (!fs::exists(p.metrics()) || !fs::exists(p.config())) return std::nan("");
  try {
    const json cfg = json::parse(data::readFile(p.config()));
    if (!model::ModelConfig::fromJson(cfg.at("model").dump()).differences(m).empty()) return std::nan("");
    const auto tc = model::TrainConfig::fromJson(cfg.at("train").dump());
    if (tc.epochs != t.epochs || tc.seed != t.seed || tc.lr != t.lr || tc.batchSize != t.batchSize) return std::nan("");
    return json::parse(data::readFile(p.metrics())).at("weighted_f1").get<double>();
  } catch (const std::exception&) {
    return std::nan("");
  }
}
}  // namespace

void addAblationCommands(CLI::App& app) {
  auto opts = std::make_shared<TrainOptions>();
  auto seeds = std::make_shared<int>(3);
  auto out = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("ablation", "The paper's Table 2: full ML-SAN, w/o FiLM, w/o Gate, w/o Aux and MultiEMO over seeds");
  opts->addCorpusTo(cmd, false);
  cmd->add_option("--seeds", *seeds, "Seeds per variant (1..N)")->capture_default_str()->check(CLI::Range(1, 100));
  opts->addTo(cmd, false);
  cmd->add_option("--out", *out, "Folder for the runs (default: runs/ablation-<corpus>); finished runs in it are reused");
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  cmd->callback([opts, seeds, out, asJson] {
    std::string tag = opts->corpus;
    const data::Corpus corpus = opts->openCorpus();
    std::string root = *out;
    if (root.empty()) {
      for (auto& ch : tag) if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      root = "runs/ablation-" + tag;
    }
    std::vector<std::vector<double>> f1(std::size(kVariants));
    for (std::size_t v = 0; v < std::size(kVariants); ++v) {
      for (int s = 1; s <= *seeds; ++s) {
        TrainOptions o = *opts;
        o.seed = static_cast<std::uint64_t>(s);
        o.variant = "mlsan";
        o.noFilm = !kVariants[v].film;
        o.noGate = !kVariants[v].gate;
        o.noAux = !kVariants[v].aux;
        model::ModelConfig m;
        model::TrainConfig t;
        o.resolve(corpus, m, t);
        const std::string dir = (fs::path(root) / kVariants[v].name / ("seed" + std::to_string(s))).string();
        double score = finishedRunF1(dir, m, t);
        if (std::isnan(score)) {
          const bool resume = fs::exists(model::RunPaths(dir).lastCheckpoint());
          const auto r = trainRun(corpus, m, t, dir, resume, std::string(kVariants[v].name) + " seed " + std::to_string(s), true);
          if (r.cancelled) throw std::runtime_error("ablation cancelled; run it again to continue where it stopped");
          score = r.testWeightedF1;
        }
        std::fprintf(stderr, "%-10s seed %d: test weighted F1 %.2f\n", kVariants[v].name, s, score);
        f1[v].push_back(score);
      }
    }
    json rows = json::array();
    const auto full = analysis::meanStd(f1[0]);
    for (std::size_t v = 0; v < std::size(kVariants); ++v) {
      const auto ms = analysis::meanStd(f1[v]);
      json row{{"variant", kVariants[v].name}, {"title", kVariants[v].title},
               {"weighted_f1", {{"mean", ms.mean}, {"std", ms.std}, {"runs", f1[v]}}}, {"delta", ms.mean - full.mean}};
      if (v == 0 || *seeds < 2) row["p_value"] = nullptr;
      else row["p_value"] = analysis::pairedTTest(f1[0], f1[v]).pValue;
      rows.push_back(row);
    }
    const json result{{"corpus", corpus.name}, {"seeds", *seeds}, {"runs", root}, {"rows", rows},
                      {"metric", "test weighted F1 (%) of the validation-selected epoch"},
                      {"test", "paired t-test over seeds against full ML-SAN (two-sided)"}};
    if (*asJson) {
      printJson(result);
      return;
    }
    std::printf("\nAblation on %s, %d seed(s): test weighted F1 (validation-selected epoch)\n", corpus.name.c_str(), *seeds);
    std::printf("%-16s %16s %8s %10s\n", "variant", "W-F1 mean+-std", "delta", "p (paired)");
    for (const auto& r : rows) {
      char p[32] = "-";
      if (!r["p_value"].is_null()) std::snprintf(p, sizeof p, "%.3g", r["p_value"].get<double>());
      std::printf("%-16s %8.2f +- %5.2f %+8.2f %10s\n", r["title"].get<std::string>().c_str(), r["weighted_f1"]["mean"].get<double>(),
                  r["weighted_f1"]["std"].get<double>(), r["delta"].get<double>(), p);
    }
  });

  auto dopts = std::make_shared<TrainOptions>();
  auto dout = std::make_shared<std::string>();
  auto* demo = app.add_subcommand("demo", "Train MultiEMO and ML-SAN on the built-in demo corpus and compare them");
  dopts->addTo(demo, false);
  demo->add_option("--seed", dopts->seed, "Random seed")->capture_default_str();
  demo->add_option("--out", *dout, "Folder for the two runs (default: runs/demo-<time>)");
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
