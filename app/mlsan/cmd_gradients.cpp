// SPDX-License-Identifier: GPL-3.0-or-later
// mlsan gradients: the gradient diagnosis (model/gradients.h) on the command line.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/model/gradients.h"
#include "terminal_progress.h"

namespace mlsan::app {
namespace {

/// Per epoch and module, the mean over the epoch's steps of every figure.
std::map<std::pair<int, std::string>, model::GradientRow> epochMeans(const model::GradientProbe& p) {
  std::map<std::pair<int, std::string>, model::GradientRow> sum;
  std::map<std::pair<int, std::string>, int> n;
  for (const auto& r : p.rows) {
    auto& s = sum[{r.epoch, r.module}];
    s.epoch = r.epoch; s.module = r.module;
    s.ce += r.ce; s.swfc += r.swfc; s.hgr += r.hgr; s.aux += r.aux; s.erc += r.erc; s.cosAuxErc += r.cosAuxErc;
    s.decay += r.decay; s.update += r.update; s.weight += r.weight;
    ++n[{r.epoch, r.module}];
  }
  for (auto& [k, s] : sum) {
    const double c = n[k];
    s.ce /= c; s.swfc /= c; s.hgr /= c; s.aux /= c; s.erc /= c; s.cosAuxErc /= c; s.decay /= c; s.update /= c; s.weight /= c;
  }
  return sum;
}

nlohmann::json probeJson(const model::GradientProbe& p) {
  nlohmann::json epochs = nlohmann::json::array();
  for (const auto& [k, r] : epochMeans(p))
    epochs.push_back({{"epoch", r.epoch}, {"module", r.module}, {"ce", r.ce}, {"swfc", r.swfc}, {"hgr", r.hgr}, {"aux", r.aux},
                      {"erc", r.erc}, {"cos_aux_erc", r.cosAuxErc}, {"decay", r.decay}, {"update", r.update}, {"weight", r.weight}});
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : p.steps)
    steps.push_back({{"epoch", s.epoch}, {"step", s.step}, {"loss", s.loss}, {"ce", s.ce}, {"swfc", s.swfc}, {"hgr", s.hgr}, {"aux", s.aux},
                     {"aux_scale", s.auxScale}});
  return {{"epochs", epochs}, {"steps", steps}};
}

void printProbe(const model::GradientProbe& p) {
  std::printf("gradient norms of each weighted term, mean over the epoch's steps; cos = cosine(aux, CE+SWFC+HGR);\n"
              "update = ||step Adam took||, relative to ||w||\n");
  int shown = -1;
  for (const auto& [k, r] : epochMeans(p)) {
    if (r.epoch != shown) {
      shown = r.epoch;
      double ce = 0, aux = 0, loss = 0, scale = 0;
      int n = 0;
      for (const auto& s : p.steps)
        if (s.epoch == shown) { ce += s.ce; aux += s.aux; loss += s.loss; scale += s.auxScale; ++n; }
      if (n > 0)
        std::printf("\nepoch %d: train loss %.4f, CE %.4f, aux %.4f, aux gradient scale at fc %.3f\n", shown, loss / n, ce / n, aux / n,
                    scale / n);
      std::printf("%-18s %10s %10s %10s %10s %10s %7s %10s %10s\n", "module", "CE", "SWFC", "HGR", "aux", "emotion", "cos", "decay",
                  "update/w");
    }
    std::printf("%-18s %10.3g %10.3g %10.3g %10.3g %10.3g %7.3f %10.3g %10.3g\n", r.module.c_str(), r.ce, r.swfc, r.hgr, r.aux,
                r.erc, r.cosAuxErc, r.decay, r.weight > 0 ? r.update / r.weight : 0.0);
  }
}

}  // namespace

void addGradientsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "gradients", "Diagnose training: per step and module, each loss term's gradient norm, the cosine between the auxiliary "
                   "speaker loss's gradient and the emotion objective's, the weight decay's pull and Adam's step");
  auto opts = std::make_shared<TrainOptions>();
  auto out = std::make_shared<std::string>();
  auto asJson = std::make_shared<bool>(false);
  opts->addCorpusTo(cmd, true);
  cmd->add_option("--seed", opts->seed, "Random seed")->capture_default_str();
  opts->addTo(cmd, true);
  cmd->add_option("--out", *out, "Also write every step's rows to this CSV file");
  cmd->add_flag("--json", *asJson, "Print one JSON object (per-epoch means and per-step losses)");
  setExamples(cmd, {{"What the first two epochs of ML-SAN ask of each module, on the IEMOCAP-shaped corpus",
                     "mlsan gradients --corpus demo-iemocap --epochs 2 --threads 2 --out grads.csv"}});
  cmd->callback([opts, out, asJson] {
    const data::Corpus corpus = opts->openCorpus();
    model::ModelConfig m;
    model::TrainConfig t;
    opts->resolve(corpus, m, t);
    const int epochs = opts->epochs > 0 ? opts->epochs : 2;
    TerminalProgress progress("gradients", *asJson);
    progress.setEpochs(epochs);
    const model::GradientProbe p = model::probeGradients(corpus, m, t, epochs, progress);
    if (!out->empty()) data::atomicWriteFile(*out, model::gradientsCsv(p));
    if (*asJson) printJson(probeJson(p));
    else printProbe(p);
  });
}

}  // namespace mlsan::app
