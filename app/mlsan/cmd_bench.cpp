// SPDX-License-Identifier: GPL-3.0-or-later
#include <sys/resource.h>

#include <iostream>

#include "commands.h"
#include "mlsan/data/demo_corpus.h"
#include "mlsan/model/bench.h"

namespace mlsan::app {
using nlohmann::json;

namespace {
double peakRssMiB() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}
}  // namespace

void addBenchCommand(CLI::App& app) {
  auto what = std::make_shared<std::string>();
  auto presetName = std::make_shared<std::string>("meld");
  auto threads = std::make_shared<int>(2);
  auto epochs = std::make_shared<int>(1);
  auto batch = std::make_shared<int>(0);
  auto variant = std::make_shared<std::string>("multiemo");
  auto asJson = std::make_shared<bool>(false);
  auto dropout = std::make_shared<double>(-1);
  auto micro = std::make_shared<int>(-1);
  auto* cmd = app.add_subcommand("bench", "Benchmarks on a MELD-sized (or IEMOCAP-sized) generated corpus: prints figures");
  auto repeats = std::make_shared<int>(3);
  auto workDir = std::make_shared<std::string>();
  auto tsneDims = std::make_shared<std::string>("both");
  auto tsneInput = std::make_shared<std::string>();
  auto tsneWrite = std::make_shared<std::string>();
  auto tsneIterations = std::make_shared<int>(1000);
  auto tsneGradient = std::make_shared<std::string>("auto");
  cmd->add_option("what", *what,
                  "train, infer, explain (modality reliance against plain inference), load (open MELD-sized MultiEMO pickles, then "
                  "from the cache), tsne (13,708 x 256 points) or extract (features from the videos of --table, --meld or "
                  "--video/--srt, in seconds of media per second)")
      ->required()->check(CLI::IsMember({"train", "infer", "explain", "load", "tsne", "extract"}));
  auto extractInputs = std::make_shared<ExtractInputs>();
  extractInputs->addTo(cmd, false);
  auto scope = std::make_shared<std::string>("dialogue");
  cmd->add_option("--scope", *scope, "explain: remove a modality from the whole dialogue or the utterance only")
      ->check(CLI::IsMember({"dialogue", "utterance"}))->capture_default_str();
  cmd->add_option("--dims", *tsneDims, "tsne: 2, 3 or both")->check(CLI::IsMember({"2", "3", "both"}))->capture_default_str();
  cmd->add_option("--input", *tsneInput, "tsne: embed this .npy/CSV matrix instead of the generated one");
  cmd->add_option("--write-input", *tsneWrite, "tsne: also write the generated matrix as .npy (for tools/bench_tsne_sklearn.py)");
  cmd->add_option("--iterations", *tsneIterations, "tsne: iterations")->capture_default_str();
  cmd->add_option("--gradient", *tsneGradient, "tsne: auto, exact, barnes-hut or fft")
      ->check(CLI::IsMember({"auto", "exact", "barnes-hut", "fft"}))->capture_default_str();
  cmd->add_option("--repeats", *repeats, "load: timed opens per form; explain: timed runs (the best is reported)")->capture_default_str();
  cmd->add_option("--work-dir", *workDir, "load: where to write the pickles (default: a temporary folder, removed after)");
  cmd->add_option("--preset", *presetName, "meld or iemocap")->check(CLI::IsMember({"meld", "iemocap"}))->capture_default_str();
  cmd->add_option("--variant", *variant, "multiemo or mlsan")->check(CLI::IsMember({"multiemo", "mlsan"}))->capture_default_str();
  cmd->add_option("--threads", *threads, "CPU threads")->capture_default_str();
  cmd->add_option("--epochs", *epochs, "train: epochs to run (the last is reported)")->capture_default_str();
  cmd->add_option("--batch-size", *batch, "Dialogues per batch (default: the preset's)");
  cmd->add_option("--dropout", *dropout, "Dropout probability (default: the preset's)");
  cmd->add_option("--micro-batch", *micro, "Dialogues per forward pass within a batch, 0 = whole batch (default: the preset's)");
  cmd->add_flag("--json", *asJson, "Print one JSON object");
  setExamples(cmd,
      {
       {"Seconds per MultiEMO-preset training epoch on a MELD-sized corpus, and peak memory",
        "mlsan bench train --epochs 2"},
       {"The IEMOCAP preset at batch 64",
        "mlsan bench train --preset iemocap --variant mlsan"},
       {"Utterances per second of inference",
        "mlsan bench infer"},
       {"Modality reliance (8 passes) against plain inference, on a MELD-sized test split",
        "mlsan bench explain --variant mlsan"},
       {"Opening MELD-sized pickles, then the same from the cache",
        "mlsan bench load"},
       {"t-SNE of 13,708 x 256 points in 2-D and 3-D",
        "mlsan bench tsne --dims both"},
       {"Feature extraction from your videos with the built-in extractors, on 2 threads",
        "mlsan bench extract --table recordings/utterances.csv --threads 2"}});
  cmd->callback([=] {
    if (*what == "tsne") {
      std::vector<int> dl;
      if (*tsneDims != "3") dl.push_back(2);
      if (*tsneDims != "2") dl.push_back(3);
      const json j = benchTsne(*tsneInput, *tsneWrite, dl, *threads, *tsneIterations, *tsneGradient, *asJson);
      if (*asJson) printJson(j);
      else printTsneBench(j);
      return;
    }
    if (*what == "extract") {
      const json j = benchExtract(*extractInputs, *threads, *asJson);
      if (*asJson) printJson(j);
      else printExtractBench(j);
      return;
    }
    if (*what == "load") {
      const json j = benchLoad(std::max(1, *repeats), *workDir, *asJson);
      if (*asJson) printJson(j);
      else printLoad(j);
      return;
    }
    const auto p = model::preset(*presetName);
    const data::DemoConfig dc = *presetName == "iemocap" ? data::iemocapSizedConfig() : data::meldSizedConfig();
    const data::Corpus corpus = data::makeDemoCorpus(dc);
    model::ModelConfig m = p.model;
    model::TrainConfig t = p.train;
    model::fitConfigToCorpus(m, corpus);
    m.film = m.gate = m.aux = (*variant == "mlsan");
    t.threads = *threads;
    if (*batch > 0) t.batchSize = *batch;
    if (*dropout >= 0) m.dropout = *dropout;
    if (*micro >= 0) t.microBatch = *micro;
    long trainUtts = 0, trainDialogues = 0, testUtts = 0;
    for (const auto& d : corpus.dialogues) {
      if (d.split == data::Split::Train) { trainUtts += static_cast<long>(d.size()); ++trainDialogues; }
      if (d.split == data::Split::Test) testUtts += static_cast<long>(d.size());
    }
    json j{{"preset", *presetName}, {"variant", *variant}, {"threads", *threads}, {"batch_size", t.batchSize}, {"micro_batch", t.microBatch},
           {"train_dialogues", trainDialogues}, {"train_utterances", trainUtts}, {"test_utterances", testUtts}};
    if (*what == "train") {
      const auto r = model::benchTrain(corpus, m, t, *epochs);
      j["epoch_seconds"] = r.epochSeconds;
      j["batches"] = r.batches;
      j["utterances_per_second"] = r.utterances / r.epochSeconds;
      j["estimated_gflop"] = r.estimatedGflop;
      j["achieved_gflops"] = r.estimatedGflop / r.epochSeconds;
      json phases = json::object();
      for (const auto& ph : r.phases) phases[ph.name] = ph.seconds;
      j["phases_seconds"] = phases;
    } else if (*what == "explain") {
      const auto r = model::benchExplain(corpus, m, t, *scope, std::max(1, *repeats));
      j["scope"] = *scope;
      j["utterances"] = r.utterances;
      j["infer_seconds"] = r.inferSeconds;
      j["explain_seconds"] = r.explainSeconds;
      j["ratio"] = r.explainSeconds / r.inferSeconds;
    } else {
      const auto r = model::benchInfer(corpus, m, t, 3);
      j["seconds"] = r.seconds;
      j["utterances"] = r.utterances;
      j["utterances_per_second"] = r.utterances / r.seconds;
    }
    j["peak_rss_mib"] = peakRssMiB();
    if (*asJson) {
      printJson(j);
      return;
    }
    std::printf("bench %s, preset %s, %s, %d thread(s), batch %d dialogues%s\n", what->c_str(), presetName->c_str(), variant->c_str(),
                *threads, t.batchSize,
                t.microBatch > 0 ? (" in micro-batches of " + std::to_string(t.microBatch)).c_str() : "");
    std::printf("corpus: %ld train dialogues, %ld train utterances, %ld test utterances (generated, real dims)\n", trainDialogues,
                trainUtts, testUtts);
    if (*what == "train") {
      std::printf("seconds per training epoch: %.2f (%d batches, %.0f utterances/s)\n", j["epoch_seconds"].get<double>(),
                  j["batches"].get<int>(), j["utterances_per_second"].get<double>());
      std::printf("estimated arithmetic: %.0f GFLOP per epoch, achieved %.1f GFLOP/s\n", j["estimated_gflop"].get<double>(),
                  j["achieved_gflops"].get<double>());
      std::printf("where the time goes:\n");
      for (auto it = j["phases_seconds"].begin(); it != j["phases_seconds"].end(); ++it)
        std::printf("  %-44s %7.2f s\n", it.key().c_str(), it.value().get<double>());
    } else if (*what == "explain") {
      std::printf("modality reliance (scope %s) over %ld utterances: %.3f s; plain inference %.3f s; ratio %.2f\n", scope->c_str(),
                  j["utterances"].get<long>(), j["explain_seconds"].get<double>(), j["infer_seconds"].get<double>(),
                  j["ratio"].get<double>());
    } else {
      std::printf("inference over %ld utterances: %.3f s (%.0f utterances/s)\n", j["utterances"].get<long>(), j["seconds"].get<double>(),
                  j["utterances_per_second"].get<double>());
    }
    std::printf("peak memory (max RSS): %.0f MiB\n", j["peak_rss_mib"].get<double>());
  });
}

}  // namespace mlsan::app
