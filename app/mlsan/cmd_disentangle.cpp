// `mlsan disentangle RUN`: were speakers disentangled? For a run's selected model, on one split,
// the silhouette by speaker and by emotion and the accuracy of a linear probe that predicts the
// speaker, for the raw and the FiLM-calibrated audio and visual inputs and for the fused
// representation (the paper's Fig. 5 as numbers; analysis/disentangle.h).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "mlsan/analysis/disentangle.h"

namespace mlsan::app {
namespace {

using json = nlohmann::json;

struct FeatureSet {
  std::string name;
  std::vector<float> x;  // [rows x dim]
  std::size_t dim = 0;
  std::vector<int> speaker, emotion;
};

json measure(const FeatureSet& f, int folds, std::uint64_t seed, int iterations) {
  const std::size_t n = f.speaker.size();
  json j{{"samples", n}, {"dims", f.dim}};
  try {
    j["silhouette_speaker"] = analysis::silhouetteScore(f.x.data(), n, f.dim, f.speaker);
    j["silhouette_emotion"] = analysis::silhouetteScore(f.x.data(), n, f.dim, f.emotion);
    const auto probe = analysis::linearProbe(f.x.data(), n, f.dim, f.speaker, folds, 1.0, seed, iterations);
    j["speaker_probe_accuracy"] = probe.accuracy;
    j["speaker_probe_std"] = probe.accuracyStd;
    j["speaker_chance"] = probe.chance;
  } catch (const std::invalid_argument& e) {
    j["error"] = e.what();
  }
  return j;
}

}  // namespace

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
  cmd->callback([=] {
    model::setThreads(*threads);
    data::Corpus corpus;
    model::Model m = openRunModel(*run, *corpusOverride, &corpus);
    const auto s = data::parseSplit(*split);
    const model::Inference inf = m.infer(corpus, model::dialoguesOf(corpus, s));
    // Speakers with a global identity only: "other" is many people under one name.
    const int other = !corpus.speakers.empty() && corpus.speakers.back() == "other" ? static_cast<int>(corpus.speakers.size()) - 1 : -1;
    std::vector<std::size_t> usable;
    std::vector<int> speakerOf;  // of each usable utterance
    for (std::size_t i = 0; i < inf.utterances.size(); ++i) {
      const auto& u = inf.utterances[i];
      const int spk = corpus.dialogues[static_cast<std::size_t>(u.dialogue)].utterances[static_cast<std::size_t>(u.index)].speaker;
      if (spk != other && u.label >= 0) {
        usable.push_back(i);
        speakerOf.push_back(spk);
      }
    }
    const auto pick = analysis::subsampleRows(usable.size(), static_cast<std::size_t>(std::max(10, *maxSamples)), *seed);
    std::vector<FeatureSet> sets(5);
    sets[0].name = "audio_raw"; sets[0].dim = static_cast<std::size_t>(corpus.dimAudio);
    sets[1].name = "audio_film"; sets[1].dim = static_cast<std::size_t>(inf.dimAudio);
    sets[2].name = "visual_raw"; sets[2].dim = static_cast<std::size_t>(corpus.dimVisual);
    sets[3].name = "visual_film"; sets[3].dim = static_cast<std::size_t>(inf.dimVisual);
    sets[4].name = "fused"; sets[4].dim = static_cast<std::size_t>(inf.dimFused);
    for (std::size_t k : pick) {
      const std::size_t i = usable[k];
      const auto& u = inf.utterances[i];
      const int spk = speakerOf[k];
      const float* rawA = corpus.audioRow(u.row);
      const float* rawV = corpus.visualRow(u.row);
      bool face = false;
      for (int t = 0; t < corpus.dimVisual && !face; ++t) face = rawV[t] != 0.0f;
      const float* srcs[5] = {rawA, inf.filmAudio.data() + i * inf.dimAudio, rawV, inf.filmVisual.data() + i * inf.dimVisual,
                              inf.fused.data() + i * inf.dimFused};
      for (std::size_t f = 0; f < sets.size(); ++f) {
        if ((f == 2 || f == 3) && !face) continue;  // no face found: the zero vector says nothing
        sets[f].x.insert(sets[f].x.end(), srcs[f], srcs[f] + sets[f].dim);
        sets[f].speaker.push_back(spk);
        sets[f].emotion.push_back(u.label);
      }
    }
    json features = json::object();
    for (const auto& f : sets) {
      if (!*asJson) std::fprintf(stderr, "measuring %s (%zu utterances x %zu dims)...\n", f.name.c_str(), f.speaker.size(), f.dim);
      features[f.name] = measure(f, *folds, *seed, *iterations);
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
      const json& r = features[f.name];
      if (r.contains("error")) {
        std::printf("%-12s %8zu  %s\n", f.name.c_str(), f.speaker.size(), r["error"].get<std::string>().c_str());
        continue;
      }
      std::printf("%-12s %8zu %12.4f %12.4f %9.1f%% ±%3.1f %7.1f%%\n", f.name.c_str(), f.speaker.size(),
                  r["silhouette_speaker"].get<double>(), r["silhouette_emotion"].get<double>(),
                  100 * r["speaker_probe_accuracy"].get<double>(), 100 * r["speaker_probe_std"].get<double>(),
                  100 * r["speaker_chance"].get<double>());
    }
    std::printf("Calibration disentangles speakers when the speaker silhouette and probe fall from raw to film\n"
                "while the emotion silhouette holds or rises.\n");
  });
}

}  // namespace mlsan::app
