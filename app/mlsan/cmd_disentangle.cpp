// SPDX-License-Identifier: GPL-3.0-or-later
// `mlsan disentangle RUN`: were speakers disentangled? For a run's selected model, on one split,
// the silhouette by speaker and by emotion, a linear probe that predicts the speaker, and the same
// probe within each emotion, at every stage the audio and visual features go through in the model
// (raw, after FiLM, after the projection, after the gate) and for the fused representation, each
// with a sentence that says what its numbers mean (analysis/disentangle.h).
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "commands.h"
#include "mlsan/analysis/disentangle.h"
#include "mlsan/model/feature_sets.h"

namespace mlsan::app {
using json = nlohmann::json;

json disentangleJson(const analysis::DisentangleNumbers& r, const std::vector<std::string>& emotions) {
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
  const auto& w = r.speakerWithinEmotion;
  json groups = json::array();
  for (const auto& g : w.groups) {
    const auto e = static_cast<std::size_t>(g.given);
    groups.push_back({{"emotion", e < emotions.size() ? json(emotions[e]) : json(g.given)},
                      {"utterances", g.rows},
                      {"speakers", g.labels},
                      {"accuracy", g.accuracy},
                      {"chance", g.chance},
                      {"probed", g.probed}});
  }
  if (!w.error.empty())
    j["speaker_probe_within_emotion"] = {{"error", w.error}};
  else
    j["speaker_probe_within_emotion"] = {{"accuracy", w.accuracy}, {"chance", w.chance}, {"utterances", w.rows},
                                         {"utterances_left_out", w.rowsLeftOut}, {"emotions", groups}};
  const auto& t = r.emotionAcrossSpeakers;
  if (!t.error.empty())
    j["emotion_transfer_across_speakers"] = {{"error", t.error}};
  else
    j["emotion_transfer_across_speakers"] = {
        {"across_speakers", t.acrossSpeakers}, {"within_speakers", t.withinSpeakers}, {"gap", t.gap()}, {"chance", t.chance},
        {"speakers", t.speakers}, {"speaker_folds", t.folds},
        {"method", "linear emotion probe; across: folds grouped by speaker (tested on speakers never seen in training, their "
                   "dialogues' other utterances left out of training); within: folds grouped by dialogue"}};
  j["folds"] = r.foldsByDialogue ? "grouped by dialogue" : "stratified by utterance";
  const auto info = analysis::speakerInformation(r);
  j["speaker_information"] = info == analysis::SpeakerInformation::BeyondEmotion    ? "beyond_emotion"
                             : info == analysis::SpeakerInformation::ThroughEmotion ? "through_emotion"
                             : info == analysis::SpeakerInformation::Decodable     ? "decodable"
                                                                                     : "none";
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
      "Silhouette by speaker and by emotion, a linear speaker probe and the same probe within each emotion, at every stage of the model");
  cmd->add_option("run", *run, "Run folder written by mlsan train")->required();
  cmd->add_option("--corpus", *corpusOverride, "Corpus (default: the one the run was trained on)");
  cmd->add_option("--split", *split, "train, dev or test")->capture_default_str();
  cmd->add_option("--max-samples", *maxSamples, "Utterances used (a fixed subsample drawn by --seed; 0: all; silhouette is O(n^2))")
      ->capture_default_str();
  cmd->add_option("--folds", *folds, "Cross-validation folds of the probe")->capture_default_str();
  cmd->add_option("--iterations", *iterations, "L-BFGS iterations of the probe")->capture_default_str();
  cmd->add_option("--seed", *seed, "Seed of the subsample and the folds")->capture_default_str();
  cmd->add_option("--threads", *threads, "CPU threads for inference")->capture_default_str();
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  setExamples(cmd,
      {
       {"Is speaker identity still in what the model consumes, beyond the speakers' emotion mixes?",
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
    for (model::FeatureKind k : model::kFeatureKindOrder)
      sets.push_back(model::extractFeatureSet(corpus, inf, k, static_cast<std::size_t>(std::max(0, *maxSamples)), *seed));  // 0: all
    std::vector<analysis::DisentangleNumbers> numbers;
    json features = json::object();
    for (const auto& f : sets) {
      const char* name = model::featureKindName(f.kind);
      if (!*asJson) std::fprintf(stderr, "measuring %s (%zu utterances x %zu dims)...\n", name, f.rows(), f.dim);
      numbers.push_back(
          analysis::measureDisentanglement(f.x.data(), f.rows(), f.dim, f.speaker, f.emotion, *folds, *seed, *iterations, {}, f.dialogue));
    }
    // Each representation's sentence, against the stage before it in the model.
    std::vector<std::string> sentences;
    for (std::size_t i = 0; i < sets.size(); ++i) {
      const auto kind = sets[i].kind;
      const auto before = model::previousStage(kind);
      const analysis::DisentangleNumbers* previous = nullptr;
      for (std::size_t k = 0; k < sets.size(); ++k)
        if (before != kind && sets[k].kind == before) previous = &numbers[k];
      sentences.push_back(analysis::describeDisentanglement(model::featureKindLabel(kind, m.config().gate), numbers[i],
                                                            model::featureKindLabel(before, m.config().gate), previous));
      json entry = disentangleJson(numbers[i], corpus.labels.labels);
      entry["label"] = model::featureKindLabel(kind, m.config().gate);
      entry["sentence"] = sentences.back();
      features[model::featureKindName(kind)] = entry;
    }
    json j{{"run", *run}, {"split", *split}, {"corpus", corpus.name}, {"film", m.config().film}, {"gate", m.config().gate},
           {"speakers_excluded", other >= 0 ? json::array({"other"}) : json::array()}, {"features", features}};
    if (*asJson) {
      printJson(j);
      return;
    }
    std::printf("%s, %s split, %s (FiLM %s, gate %s)\n", run->c_str(), split->c_str(), corpus.name.c_str(), m.config().film ? "on" : "off",
                m.config().gate ? "on" : "off");
    std::printf("%-13s %7s %11s %11s %15s %7s %13s %7s %12s %10s %7s\n", "features", "samples", "sil.speaker", "sil.emotion",
                "speaker probe", "chance", "within emotion", "chance", "emo unseen", "emo seen", "chance");
    for (const auto& f : sets) {
      const char* name = model::featureKindName(f.kind);
      const json& r = features[name];
      if (r.contains("error")) {
        std::printf("%-13s %7zu  %s\n", name, f.rows(), r["error"].get<std::string>().c_str());
        continue;
      }
      const json& w = r["speaker_probe_within_emotion"];
      const json& t = r["emotion_transfer_across_speakers"];
      const double nan = std::nan("");
      std::printf("%-13s %7zu %11.4f %11.4f %9.1f%% ±%3.1f %6.1f%% %13.1f%% %6.1f%% %11.1f%% %9.1f%% %6.1f%%\n", name, f.rows(),
                  r["silhouette_speaker"].get<double>(), r["silhouette_emotion"].get<double>(),
                  100 * r["speaker_probe_accuracy"].get<double>(), 100 * r["speaker_probe_std"].get<double>(),
                  100 * r["speaker_chance"].get<double>(), 100 * w.value("accuracy", nan), 100 * w.value("chance", nan),
                  100 * t.value("across_speakers", nan), 100 * t.value("within_speakers", nan), 100 * t.value("chance", nan));
    }
    std::printf("\n");
    for (const auto& s : sentences) std::printf("- %s\n", s.c_str());
    std::printf("\nThe probe within each emotion predicts the speaker among one emotion's utterances only; its chance is\n"
                "what the emotion alone gives. Speaker information above that is entanglement; the rest follows from\n"
                "the speakers' different emotion mixes. \"Decodable\" means at least %.0f points above chance.\n"
                "emo unseen / emo seen: an emotion probe tested on speakers it never saw (folds grouped by speaker) and on\n"
                "speakers it was trained on; the paper's Fig. 5 claims that calibration closes this gap. Every probe's\n"
                "folds are grouped by dialogue, so one dialogue's utterances never sit on both sides of a split.\n",
                analysis::kSpeakerLiftPoints);
    if (!m.config().gate)
      std::printf("This model has no gate: audio_gated and visual_gated are the context features a gate would scale.\n");
  });
}

}  // namespace mlsan::app
