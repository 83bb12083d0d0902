// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan import-multiemo: a MultiEMO model trained in Python by the authors' code, as a run folder.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"
#include "mlsan/model/import.h"

namespace mlsan::app {

void addImportCommand(CLI::App& app) {
  struct Options {
    std::string state, corpus = "demo", csvDir, clipsDir, out;
    model::ImportOptions import;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("import-multiemo",
                                 "Open a MultiEMO model trained in Python (torch.save(model.state_dict())) as a run folder");
  cmd->add_option("state_dict", o->state, "The .pt file torch.save wrote (zip or legacy format; read without running pickled code)")
      ->required();
  cmd->add_option("--corpus", o->corpus, "The corpus the model was trained on (its features' dims and labels must match)")->required();
  addCorpusPartsTo(cmd, o->csvDir, o->clipsDir);
  cmd->add_option("--out", o->out, "Run folder to write (must not exist, or be empty)")->required();
  cmd->add_option("--form", o->import.form, "meld or iemocap: MultiEMO's two architectures (default: the corpus's dataset)")
      ->check(CLI::IsMember({"meld", "iemocap"}));
  cmd->add_flag("--mask-padding", o->import.maskPadding,
                "Evaluate with padding masked (default: unmasked, as MultiEMO's own code computed the numbers it printed)");
  cmd->add_option("--batch-size", o->import.batchSize, "Dialogues per inference batch (default: MultiEMO's, 100 MELD, 64 IEMOCAP)");
  cmd->add_option("--threads", o->import.threads, "CPU threads")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object with the result");
  setExamples(cmd, {{"MultiEMO's MELD model, trained with Train/TrainMultiEMO.py and saved with torch.save(model.state_dict(), 'multiemo.pt')",
                     "mlsan import-multiemo multiemo.pt --corpus MultiEMO/Data/MELD --out runs/multiemo-python"},
                    {"Then compare it with ML-SAN", "mlsan compare runs/multiemo-python runs/meld-mlsan"}});
  cmd->callback([o] {
    const data::CorpusSource src = corpusSource(o->corpus, o->csvDir, o->clipsDir);
    const data::Corpus corpus = data::openCorpus(src);
    o->import.corpusSource = src.toString();
    const model::ImportResult r = model::importMultiEmo(o->state, corpus, o->out, o->import);
    const auto& c = r.config;
    if (o->json) {
      printJson(nlohmann::json{{"run", o->out}, {"format", r.format}, {"tensors", r.tensors}, {"unused", r.unused},
                               {"form", c.bidirectional ? "iemocap" : "meld"}, {"d", c.d}, {"heads", c.heads},
                               {"fusion_layers", c.fusionLayers}, {"mask_padding", c.maskPadding},
                               {"test_weighted_f1", r.testWeightedF1}, {"test_utterances", r.testUtterances}});
      return;
    }
    std::printf("imported %s (%s format): %d tensors, MultiEMO's %s form, d %d, %d heads, %d fusion layers\n", o->state.c_str(),
                r.format.c_str(), r.tensors, c.bidirectional ? "IEMOCAP" : "MELD", c.d, c.heads, c.fusionLayers);
    if (!r.unused.empty())
      std::printf("  %zu tensors the %s form does not use (e.g. %s)\n", r.unused.size(), c.bidirectional ? "IEMOCAP" : "MELD",
                  r.unused.front().c_str());
    std::printf("test weighted F1 %.2f on %ld utterances (padding %s)\nwrote %s\n", r.testWeightedF1, r.testUtterances,
                c.maskPadding ? "masked" : "unmasked, as MultiEMO", o->out.c_str());
  });
}

}  // namespace mlsan::app
