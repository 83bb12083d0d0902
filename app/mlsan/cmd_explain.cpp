// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan explain: modality reliance of a run, measured by intervention (model/reliance.h).
#include <cmath>
#include <string>
#include <iostream>

#include "commands.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/model/explain.h"
#include "mlsan/model/run.h"
#include "terminal_progress.h"

namespace mlsan::app {
using nlohmann::json;

namespace {

void printShares(const json& g, int nameWidth) {
  std::printf("  %-*s %6d", nameWidth, g["name"].get<std::string>().c_str(), g["utterances"].get<int>());
  auto num = [](const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); };
  for (const char* m : {"text", "audio", "visual"}) {
    const auto& x = g[m];
    std::printf("   %.2f [%.2f, %.2f] -%.2f", num(x["reliance"]), num(x["ci"][0]), num(x["ci"][1]), num(x["against"]));
  }
  std::printf("\n");
}

void printHeader(int nameWidth, const char* first) {
  std::printf("  %-*s %6s   %-24s   %-24s   %-24s\n", nameWidth, first, "utts", "text [95% CI] -against", "audio [95% CI] -against",
              "visual [95% CI] -against");
}

void printExplanation(const json& j, const std::string& run, bool byType, const model::RunExplanation& r) {
  std::printf("modality reliance of %s on the %s split: %zu utterances%s\n", run.c_str(), j["split"].get<std::string>().c_str(),
              j["utterances"].size(), r.reused ? " (stored results reused)" : "");
  const std::string absent = j["absent"] == "draw"   ? "a random training utterance of the same speaker's, " + std::to_string(j["draws"].get<int>()) + " draws"
                             : j["absent"] == "mean" ? std::string("its training mean")
                                                     : std::string("zeros");
  std::printf("value: %s; a removed modality is %s, removed %s\n", j["value"].get<std::string>().c_str(), absent.c_str(),
              j["scope"] == "dialogue" ? "from the whole dialogue" : "at the explained utterance only");
  if (j.contains("median_share_se") && j["draws"].get<int>() > 1)
    std::printf("Monte-Carlo standard error of a share at the median utterance: %.3f\n", j["median_share_se"].get<double>());
  std::printf("reliance: sum of each modality's positive Shapley values / sum of |Shapley values| over the group's utterances\n"
              "(utterances weigh by how much their modalities move the prediction); -against: the negative part; 95%% CI by\n"
              "the delta method over utterances\n\n");
  int width = 8;
  for (const auto& s : j["speakers"]) width = std::max(width, static_cast<int>(s["name"].get<std::string>().size()));
  printHeader(width, "speaker");
  printShares(j["overall"], width);
  for (const auto& s : j["speakers"]) printShares(s, width);
  const auto& c = j["interactions"];
  std::printf("\ninteractions: dominance %d (text %d, audio %d, visual %d), complement %d, conflict %d, additive %d, weak %d\n",
              c["dominance"].get<int>(), c.value("dominance_text", 0), c.value("dominance_audio", 0), c.value("dominance_visual", 0),
              c["complement"].get<int>(), c["conflict"].get<int>(), c["additive"].get<int>(), c["weak"].get<int>());
  std::printf("rule: %s\n", j["interaction_rule"].get<std::string>().c_str());
  if (j.contains("by_speaker_type") && !byType)
    std::printf("(a demo-family corpus: --by-speaker-type sets the reliance against each speaker's type)\n");
  if (byType && j.contains("by_speaker_type")) {
    const auto& t = j["by_speaker_type"];
    std::printf("\nby speaker type (the demo generator's truth):\n");
    printHeader(10, "type");
    for (const char* type : {"voice-led", "face-led", "balanced"}) {
      json g = t[type];
      printShares(g, 10);
    }
    const auto& test = t["test"];
    if (test["p"].is_null()) {
      std::printf("%s: %s\n", test["test"].get<std::string>().c_str(), test["note"].get<std::string>().c_str());
    } else {
      std::printf("voice-led vs face-led, %s (%s): difference %+.3f, t = %.2f, df = %.1f, p = %.3g (%zu vs %zu speakers)\n",
                  test["measure"].get<std::string>().c_str(), test["test"].get<std::string>().c_str(), test["difference"].get<double>(),
                  test["t"].get<double>(), test["df"].get<double>(), test["p"].get<double>(), test["n_voice_led"].get<std::size_t>(),
                  test["n_face_led"].get<std::size_t>());
    }
  }
  if (j.contains("validation")) {
    const auto& v = j["validation"];
    std::printf("\nchecked against the generator's truth (utterance by utterance; %s):\n", v["interval"].get<std::string>().c_str());
    for (const char* k : {"showing_beats_misleading", "conflict_precision", "conflict_recall"}) {
      const auto& f = v[k];
      if (f["value"].is_null()) std::printf("  %-26s no utterance\n", k);
      else
        std::printf("  %-26s %.3f [%.3f, %.3f] over %ld utterances\n", k, f["value"].get<double>(), f["ci"][0].get<double>(),
                    f["ci"][1].get<double>(), f["utterances"].get<long>());
    }
  }
  std::printf("\nper utterance: %s\n", r.file.c_str());
}

void printGate(const json& g) {
  if (!g["has_gate"].get<bool>()) {
    std::printf("\nthe model has no speaker gate (MultiEMO or an ablation without it)\n");
    return;
  }
  std::printf("\nthe speaker gate (form %s, %d channels; %d speakers with 5 or more utterances):\n", g["form"].get<std::string>().c_str(),
              g["channels"].get<int>(), g["speakers"].get<int>());
  std::printf("  %-8s %-22s %-22s %-22s %-18s %-18s\n", "", "channel-mean gate", "one channel by speaker", "channels (all utts)",
              "gain ||g*h||/||h||", "use-weighted gate");
  for (const char* m : {"audio", "visual"}) {
    const auto& d = g[m];
    std::printf("  %-8s %.3f (sd %.4f, by spk %.4f)   sd over spk %.4f     sd over ch %.4f       %.3f (by spk %.4f)   %.3f (by spk %.4f)\n", m,
                d["mean_gate"].get<double>(), d["mean_gate_sd"].get<double>(), d["mean_gate_speaker_sd"].get<double>(),
                d["channel_speaker_sd"].get<double>(), d["channel_sd"].get<double>(), d["gain"].get<double>(),
                d["gain_speaker_sd"].get<double>(), d["used"].get<double>(), d["used_speaker_sd"].get<double>());
  }
  std::printf("  normalised share audio/(audio+visual): s.d. over speakers %.4f\n", g["share_speaker_sd"].get<double>());
  std::printf("  gates replaced by their channel means (no speaker dependence): %.1f%% of predictions change, mean |d log p| %.4f\n",
              100 * g["speakerless_gates"]["flip_rate"].get<double>(), g["speakerless_gates"]["mean_abs_logp_change"].get<double>());
  std::printf("  gates replaced by 1 (no gate): %.1f%% of predictions change, mean |d log p| %.4f\n",
              100 * g["no_gate"]["flip_rate"].get<double>(), g["no_gate"]["mean_abs_logp_change"].get<double>());
}

}  // namespace

void addExplainCommand(CLI::App& app) {
  auto run = std::make_shared<std::string>();
  auto corpusOverride = std::make_shared<std::string>();
  auto split = std::make_shared<std::string>("test");
  auto asJson = std::make_shared<bool>(false);
  auto out = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(2);
  auto byType = std::make_shared<bool>(false);
  auto gate = std::make_shared<bool>(false);
  auto options = std::make_shared<model::RelianceOptions>();
  auto* cmd = app.add_subcommand("explain",
                                 "Which modality each prediction rests on: exact Shapley values of text, audio and visual from "
                                 "8 forward passes per utterance, per utterance and per speaker");
  cmd->add_option("run", *run, "Run folder written by mlsan train (or mlsan import-multiemo)")->required();
  cmd->add_option("--corpus", *corpusOverride, "Corpus (default: the one the run was trained on; it must be that corpus)");
  cmd->add_option("--split", *split, "train, dev or test")->capture_default_str();
  cmd->add_option("--absent", options->absent,
                  "What a removed modality becomes: draw (the features of a random training utterance of the same speaker, "
                  "averaged over --draws draws: an input the model has seen), mean (its training-split mean) or zero (as "
                  "MultiEMO stores a missing face)")
      ->check(CLI::IsMember({"draw", "mean", "zero"}))->capture_default_str();
  cmd->add_option("--draws", options->draws, "With --absent draw: draws per utterance (each value's standard error is reported)")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "With --absent draw: seed of the draws")->capture_default_str();
  cmd->add_option("--scope", options->scope,
                  "Remove a modality from the whole dialogue (what the prediction rests on, context included) or at the "
                  "explained utterance only (its direct use; about the dialogue's length times slower)")
      ->check(CLI::IsMember({"dialogue", "utterance"}))->capture_default_str();
  cmd->add_flag("--by-speaker-type", *byType,
                "Demo corpora: mean reliance of voice-led, face-led and balanced speakers (the generator's truth) and the test "
                "between voice-led and face-led");
  cmd->add_flag("--gate", *gate,
                "Also diagnose the speaker gate: how it varies by channel and speaker, its gain on the features, and what "
                "removing its speaker dependence changes (JSON: gate)");
  cmd->add_flag("--json", *asJson,
                "Print one JSON object (utterances, speakers, interactions; on a demo-family corpus by_speaker_type and "
                "validation, the explanations checked against the generator's truth)");
  cmd->add_option("--out", *out, "Also write the JSON object to this file");
  cmd->add_option("--threads", *threads, "CPU threads")->capture_default_str();
  setExamples(cmd,
      {
       {"Which modality the demo ML-SAN relies on, per speaker",
        "mlsan explain runs/demo-mlsan"},
       {"Against the generator's truth: voice-led, face-led and balanced speakers",
        "mlsan explain runs/demo-mlsan --by-speaker-type"},
       {"Every utterance's Shapley values, shares and interaction type as JSON",
        "mlsan explain runs/demo-mlsan --json --out reliance.json"},
       {"Removing a modality at the explained utterance only, as zeros",
        "mlsan explain runs/demo-mlsan --scope utterance --absent zero"}});
  cmd->callback([=] {
    model::setThreads(*threads);
    const data::Split s = data::parseSplit(*split);
    std::string source = *corpusOverride;
    if (source.empty()) {
      try {
        source = model::runCorpusSource(*run);
      } catch (const std::exception& e) {
        throw std::runtime_error(std::string(e.what()) + "; pass --corpus");
      }
    }
    data::OpenReport report;
    data::Corpus corpus;
    try {
      corpus = data::openCorpus(data::CorpusSource::parse(source), &report);
    } catch (const std::exception& e) {
      throw std::runtime_error(*run + ": cannot open the corpus it was trained on: " + e.what());
    }
    const bool truth = report.demo || report.demoTruthKnown;
    if (*byType && !truth)
      throw std::runtime_error("--by-speaker-type needs a demo corpus (the generator's truth: 'demo', or a folder written by "
                               "mlsan corpus demo); " + *run + " was trained on '" + corpus.name + "'");
    TerminalProgress progress("explain", *asJson);
    const model::RunExplanation r = model::explainRun(*run, corpus, s, *options, &progress);
    if (r.cancelled) throw CancelledError("explain cancelled: nothing written");
    json j = model::relianceJson(corpus, s, *options, r.utterances, truth ? &report.demoTruth : nullptr);
    if (*gate) j["gate"] = model::gateDiagnosisJson(model::diagnoseGateRun(*run, corpus, s));
    if (!out->empty()) data::atomicWriteFile(*out, j.dump(1) + "\n");
    if (*asJson) printJson(j);
    else {
      printExplanation(j, *run, *byType, r);
      if (*gate) printGate(j["gate"]);
    }
  });
}

}  // namespace mlsan::app
