#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include "commands.h"
#include "mlsan/data/corpus_io.h"
#include "mlsan/data/demo_corpus.h"

namespace mlsan::app {
using nlohmann::json;

namespace {
json inspectJson(const data::Corpus& c) {
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
  try {
    c.validate();
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  return json{{"name", c.name}, {"dataset", c.dataset}, {"splits", splits}, {"speakers", c.speakers.size()},
              {"speaker_utterances", speakerCounts}, {"labels", c.labels.labels}, {"label_counts", counts},
              {"dims", {{"text", c.dimText}, {"audio", c.dimAudio}, {"visual", c.dimVisual}}},
              {"max_parties", c.maxParties()}, {"signature", c.signature()}, {"problems", problems}};
}

void printInspect(const json& j) {
  std::cout << "corpus   " << j["name"].get<std::string>() << " (" << j["dataset"].get<std::string>() << ")\n";
  std::cout << "dims     text " << j["dims"]["text"] << ", audio " << j["dims"]["audio"] << ", visual " << j["dims"]["visual"] << "\n";
  std::cout << "speakers " << j["speakers"] << ", at most " << j["max_parties"] << " per dialogue\n\n";
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
  demo->add_option("--out", *out, "Output folder")->required();
  demo->add_option("--seed", *seed, "Generator seed")->capture_default_str();
  demo->add_option("--dialogues", *dialogues, "Number of dialogues (default: the demo's 440)");
  auto knobs = std::make_shared<std::vector<std::string>>();
  demo->add_option("--knob", *knobs, "Set a generator knob, NAME=VALUE (repeatable; see data/DEMO_CORPUS.md)");
  demo->callback([out, seed, dialogues, knobs] {
    data::DemoConfig cfg;
    cfg.seed = *seed;
    if (*dialogues > 0) cfg.dialogues = *dialogues;
    for (const auto& k : *knobs) {
      const auto eq = k.find('=');
      if (eq == std::string::npos) throw std::invalid_argument("--knob expects NAME=VALUE, got '" + k + "'");
      data::setDemoKnob(cfg, k.substr(0, eq), k.substr(eq + 1));
    }
    const data::Corpus c = data::makeDemoCorpus(cfg);
    data::writeCorpus(c, *out);
    std::cout << "wrote " << c.name << ": " << c.dialogues.size() << " dialogues, " << c.numUtterances() << " utterances to "
              << *out << "\n";
  });

  auto* inspect = app.add_subcommand("inspect", "Report dialogues, utterances, speakers, labels, dims and problems of a corpus");
  auto spec = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  inspect->add_option("corpus", *spec, "'demo', 'demo:SEED', or a corpus folder")->required();
  inspect->add_flag("--json", *asJson, "Print one JSON object");
  inspect->callback([spec, asJson] {
    const data::Corpus c = data::openCorpus(*spec);
    const json j = inspectJson(c);
    if (*asJson) printJson(j);
    else printInspect(j);
  });
}

void printJson(const json& j) { std::cout << j.dump(2) << std::endl; }

}  // namespace mlsan::app
