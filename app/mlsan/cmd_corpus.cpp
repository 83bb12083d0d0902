// SPDX-License-Identifier: GPL-3.0-or-later
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/data/multiemo_corpus.h"

namespace mlsan::app {
using nlohmann::json;

namespace {
json inspectJson(const data::Corpus& c, const data::OpenReport& rep) {
  json splits = json::object(), counts = json::object();
  for (auto s : {data::Split::Train, data::Split::Dev, data::Split::Test}) {
    long dialogues = 0, utterances = 0;
    json lc = json::object();
    for (const auto& l : c.labels.labels) lc[l] = 0;
    for (const auto& d : c.dialogues) {
      if (d.split != s) continue;
      ++dialogues;
      utterances += static_cast<long>(d.size());
      for (const auto& u : d.utterances)
        if (u.label >= 0) lc[c.labels.labels[u.label]] = lc[c.labels.labels[u.label]].get<long>() + 1;
    }
    splits[data::splitName(s)] = {{"dialogues", dialogues}, {"utterances", utterances}};
    counts[data::splitName(s)] = lc;
  }
  std::map<int, long> perSpeaker;
  for (const auto& d : c.dialogues)
    for (const auto& u : d.utterances) ++perSpeaker[u.speaker];
  json speakerCounts = json::object();
  for (auto [s, n] : perSpeaker) speakerCounts[c.speakers[s]] = n;
  json problems = json::array();
  for (const auto& p : c.problems) problems.push_back(p);
  try {
    c.validate();
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  json clips = nullptr;
  if (rep.clipsLinked) {
    clips = {{"found", rep.clips.found}, {"missing", rep.clips.missing}, {"unreadable", rep.clips.unreadable},
             {"first_missing", rep.clips.firstMissing}, {"first_unreadable", rep.clips.firstUnreadable}};
  }
  return json{{"name", c.name}, {"dataset", c.dataset}, {"splits", splits}, {"speakers", c.speakers.size()},
              {"speaker_utterances", speakerCounts}, {"labels", c.labels.labels}, {"label_counts", counts},
              {"dims", {{"text", c.dimText}, {"audio", c.dimAudio}, {"visual", c.dimVisual}}},
              {"max_parties", c.maxParties()}, {"signature", c.signature()}, {"speaker_source", c.speakerSource},
              {"features", c.hasFeatures()}, {"clips", clips}, {"kind", rep.demo ? "demo" : data::corpusKindName(rep.kind)},
              {"cache_hit", rep.cacheHit}, {"open_seconds", rep.seconds}, {"problems", problems}};
}

void printInspect(const json& j) {
  std::cout << "corpus   " << j["name"].get<std::string>() << " (" << j["dataset"].get<std::string>() << ")\n";
  std::cout << "source   " << j["kind"].get<std::string>() << (j["cache_hit"].get<bool>() ? " (from the cache)" : "") << ", opened in "
            << std::fixed << std::setprecision(2) << j["open_seconds"].get<double>() << " s\n";
  if (j["features"].get<bool>())
    std::cout << "dims     text " << j["dims"]["text"] << ", audio " << j["dims"]["audio"] << ", visual " << j["dims"]["visual"] << "\n";
  else
    std::cout << "dims     no feature vectors (annotations only: can be browsed, not trained on)\n";
  std::cout << "speakers " << j["speakers"] << " (" << j["speaker_source"].get<std::string>() << "), at most " << j["max_parties"]
            << " per dialogue\n";
  if (!j["clips"].is_null())
    std::cout << "clips    " << j["clips"]["found"] << " found, " << j["clips"]["missing"] << " missing, " << j["clips"]["unreadable"]
              << " unreadable\n";
  std::cout << "\n";
  std::printf("%-12s %10s %11s", "split", "dialogues", "utterances");
  for (const auto& l : j["labels"]) std::printf(" %9s", l.get<std::string>().c_str());
  std::printf("\n");
  for (const char* s : {"train", "dev", "test"}) {
    std::printf("%-12s %10ld %11ld", s, j["splits"][s]["dialogues"].get<long>(), j["splits"][s]["utterances"].get<long>());
    for (const auto& l : j["labels"]) std::printf(" %9ld", j["label_counts"][s][l.get<std::string>()].get<long>());
    std::printf("\n");
  }
  std::printf("\nproblems: %s\n", j["problems"].empty() ? "none" : "");
  for (const auto& p : j["problems"]) std::printf("  - %s\n", p.get<std::string>().c_str());
}
}  // namespace

void addCorpusCommands(CLI::App& app) {
  auto* corpus = app.add_subcommand("corpus", "Corpus tools");
  corpus->require_subcommand(1);
  auto* demo = corpus->add_subcommand("demo", "Write the built-in demo corpus to a folder in the project's format");
  auto out = std::make_shared<std::string>();
  auto seed = std::make_shared<std::uint64_t>(7);
  auto dialogues = std::make_shared<int>(0);
  auto iemocap = std::make_shared<bool>(false), multiemo = std::make_shared<bool>(false);
  auto family = std::make_shared<std::string>("demo");
  demo->add_option("--out", *out, "Output folder")->required();
  demo->add_option("--family", *family,
                   "Which corpus of the demo family: demo, demo-iemocap, demo-null (no speaker effect: the control) or "
                   "demo-fingerprint (the demo plus each speaker's ambient fingerprint); data/DEMO_CORPUS.md")
      ->check(CLI::IsMember(data::demoFamilies()))->capture_default_str();
  demo->add_flag("--iemocap", *iemocap, "The IEMOCAP-shaped corpus (demo-iemocap): 10 actors, 6 labels, 151 long dyadic dialogues, no dev split");
  demo->add_flag("--multiemo", *multiemo, "Write MultiEMO's layout (Speakers.pkl and the three feature pickles) instead of the project's format");
  demo->add_option("--seed", *seed, "Generator seed")->capture_default_str();
  demo->add_option("--dialogues", *dialogues, "Number of dialogues (default: the demo's 600)");
  auto knobs = std::make_shared<std::vector<std::string>>();
  demo->add_option("--knob", *knobs, "Set a generator knob, NAME=VALUE (repeatable; see data/DEMO_CORPUS.md)");
  setExamples(demo,
      {
       {"The demo corpus as files, for other tools",
        "mlsan corpus demo --out demo-corpus"},
       {"Noisier features (the knobs are listed in data/DEMO_CORPUS.md)",
        "mlsan corpus demo --out hard --knob ambientNoise=0.6"},
       {"The control with no speaker effect, for other tools",
        "mlsan corpus demo --family demo-null --out demo-null"},
       {"The IEMOCAP-shaped corpus in MultiEMO's IEMOCAP layout",
        "mlsan corpus demo --iemocap --multiemo --out iemocap-shaped"}});
  demo->callback([out, seed, dialogues, knobs, iemocap, multiemo, family, demo] {
    data::DemoConfig cfg;
    data::demoFamilyConfig(*iemocap ? "demo-iemocap" : *family, cfg);
    if (demo->count("--seed") > 0) cfg.seed = *seed;
    if (*dialogues > 0) cfg.dialogues = *dialogues;
    for (const auto& k : *knobs) {
      const auto eq = k.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("--knob expects NAME=VALUE, got '" + k + "'");
      data::setDemoKnob(cfg, k.substr(0, eq), k.substr(eq + 1));
    }
    const data::Corpus c = data::makeDemoCorpus(cfg);
    if (*multiemo) {
      for (const auto& note : data::writeMultiEmoFolder(c, *out).notes()) std::cout << note << "\n";
    } else {
      data::writeCorpus(c, *out);
      data::writeDemoRecipe(*out, cfg);  // the generator's truth travels with the folder
    }
    std::cout << "wrote " << c.name << ": " << c.dialogues.size() << " dialogues, " << c.numUtterances() << " utterances to "
              << *out << "\n";
  });

  auto* inspect = app.add_subcommand(
      "inspect", "Report dialogues, utterances, speakers, labels, dims, clips found and missing, and problems of a corpus");
  auto spec = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  auto csv = std::make_shared<std::string>(), clipsDir = std::make_shared<std::string>();
  auto noCache = std::make_shared<bool>(false);
  inspect->add_option("corpus", *spec, kCorpusHelp)->required();
  addCorpusPartsTo(inspect, *csv, *clipsDir);
  inspect->add_flag("--no-cache", *noCache, "Parse pickles even when a valid cache exists (and do not write one)");
  inspect->add_flag("--json", *asJson, "Print one JSON object");
  setExamples(inspect,
      {
       {"MultiEMO's MELD features with the CSVs and clips: counts, clips found and missing, problems",
        "mlsan inspect MultiEMO/Data/MELD --csv MELD.Raw --clips MELD.Raw"},
       {"The MELD CSVs alone",
        "mlsan inspect MELD.Raw --json"}});
  inspect->callback([spec, asJson, csv, clipsDir, noCache] {
    data::CorpusSource src = corpusSource(*spec, *csv, *clipsDir);
    if (*noCache) src.useCache = false;
    data::OpenReport rep;
    const data::Corpus c = data::openCorpus(src, &rep);
    const json j = inspectJson(c, rep);
    if (*asJson) printJson(j);
    else printInspect(j);
  });
}

void printJson(const json& j) { std::cout << j.dump(2) << std::endl; }

}  // namespace mlsan::app
