// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan disentangle RUN`: were speakers disentangled? For a run's selected model, on one split,
// the silhouette by speaker and by emotion and the accuracy of a linear probe that predicts the
// speaker, for the raw and the FiLM-calibrated audio and visual inputs and for the fused
// representation (the paper's Fig. 5 as numbers; analysis/disentangle.h).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "mlsan/analysis/disentangle.h"
#include "mlsan/model/feature_sets.h"

namespace mlsan::app {
using json = nlohmann::json;

json disentangleJson(const analysis::DisentangleNumbers& r) {
  json j{{"samples", r.samples}, {"dims", r.dims}};
  if (!r.error.empty()) {
    j["error"] = r.error;
    return j;
  }
  j["silhouette_speaker"] = r.silhouetteSpeaker;
  j["silhouette_emotion"] = r.silhouetteEmotion;
  j["speaker_probe_accuracy"] = r.speakerProbe.accuracy;
  j["speaker_probe_std"] = r.speakerProbe.accuracyStd;
  j["speaker_chance"] = r.speakerProbe.chance;
  return j;
}

void addDisentangleCommand(CLI::App& app) {
  auto run = std::make_shared<std::string>();
  auto corpusOverride = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>("test");
  auto maxSamples = std::make_shared<int>(1500);
  auto folds = std::make_shared<int>(5);
  auto iterations = std::make_shared<int>(100);
  auto seed = std::make_shared<std::uint64_t>(1);
  auto threads = std::make_shared<int>(2);
  auto asJson = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand(
      "disentangle",
      "Silhouette by speaker and by emotion, and a linear speaker probe, before and after FiLM calibration");
  cmd->add_option("run", *run, "Run folder written by mlsan train")->required();
  cmd->add_option("--corpus", *corpusOverride, "Corpus (default: the one the run was trained on)");
  cmd->add_option("--split", *split, "train, dev or test")->capture_default_str();
  cmd->add_option("--max-samples", *maxSamples, "Utterances used (a fixed subsample drawn by --seed; silhouette is O(n^2))")
      ->capture_default_str();
  cmd->add_option("--folds", *folds, "Cross-validation folds of the probe")->capture_default_str();
  cmd->add_option("--iterations", *iterations, "L-BFGS iterations of the probe")->capture_default_str();
  cmd->add_option("--seed", *seed, "Seed of the subsample and the folds")->capture_default_str();
  cmd->add_option("--threads", *threads, "CPU threads for inference")->capture_default_str();
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  setExamples(cmd,
      {
       {"Do speakers separate less after FiLM calibration?",
        "mlsan disentangle runs/mlsan"},
       {"All test utterances, as JSON",
        "mlsan disentangle runs/mlsan --max-samples 0 --json"}});
  cmd->callback([=] {
    model::setThreads(*threads);
    data::Corpus corpus;
    model::Model m = openRunModel(*run, *corpusOverride, &corpus);
    const auto s = data::parseSplit(*split);
    const model::Inference inf = m.infer(corpus, model::dialoguesOf(corpus, s));
    const int other = model::otherSpeaker(corpus);
    std::vector<model::FeatureSet> sets;
    for (int k = 0; k < model::kFeatureKinds; ++k)
      sets.push_back(model::extractFeatureSet(corpus, inf, static_cast<model::FeatureKind>(k),
                                              static_cast<std::size_t>(std::max(10, *maxSamples)), *seed));
    json features = json::object();
    for (const auto& f : sets) {
      const char* name = model::featureKindName(f.kind);
      if (!*asJson) std::fprintf(stderr, "measuring %s (%zu utterances x %zu dims)...\n", name, f.rows(), f.dim);
      features[name] = disentangleJson(
          analysis::measureDisentanglement(f.x.data(), f.rows(), f.dim, f.speaker, f.emotion, *folds, *seed, *iterations));
    }
    json j{{"run", *run}, {"split", *split}, {"corpus", corpus.name}, {"film", m.config().film},
           {"speakers_excluded", other >= 0 ? json::array({"other"}) : json::array()}, {"features", features}};
    if (*asJson) {
      printJson(j);
      return;
    }
    std::printf("%s, %s split, %s (FiLM %s)\n", run->c_str(), split->c_str(), corpus.name.c_str(), m.config().film ? "on" : "off");
    std::printf("%-12s %8s %12s %12s %14s %8s\n", "features", "samples", "sil.speaker", "sil.emotion", "speaker probe", "chance");
    for (const auto& f : sets) {
      const char* name = model::featureKindName(f.kind);
      const json& r = features[name];
      if (r.contains("error")) {
        std::printf("%-12s %8zu  %s\n", name, f.rows(), r["error"].get<std::string>().c_str());
        continue;
      }
      std::printf("%-12s %8zu %12.4f %12.4f %9.1f%% ±%3.1f %7.1f%%\n", name, f.rows(),
                  r["silhouette_speaker"].get<double>(), r["silhouette_emotion"].get<double>(),
                  100 * r["speaker_probe_accuracy"].get<double>(), 100 * r["speaker_probe_std"].get<double>(),
                  100 * r["speaker_chance"].get<double>());
    }
    std::printf("Calibration disentangles speakers when the speaker silhouette and probe fall from raw to film\n"
                "while the emotion silhouette holds or rises.\n");
  });
}

}  // namespace mlsan::app
