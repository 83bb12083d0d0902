// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/experiments/train_args.h"

#include <cstdio>
#include <cstdlib>

#include "mlsan/model/run.h"

namespace mlsan::experiments {
using nlohmann::json;

std::string formatNumber(double v) {
  char buf[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string shellQuote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%") ==
                          std::string::npos)
    return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::vector<std::string> TrainArgs::toArgs() const {
  const TrainArgs d;
  std::vector<std::string> a{"--corpus", corpus};
  auto opt = [&a](const char* name, const std::string& value) {
    a.push_back(name);
    a.push_back(value);
  };
  if (!csvDir.empty()) opt("--csv", csvDir);
  if (!clipsDir.empty()) opt("--clips", clipsDir);
  if (!preset.empty()) opt("--preset", preset);
  if (variant != d.variant) opt("--variant", variant);
  if (noFilm) a.push_back("--no-film");
  if (noGate) a.push_back("--no-gate");
  if (noAux) a.push_back("--no-aux");
  if (lambda >= 0) opt("--lambda", formatNumber(lambda));
  if (!gateInput.empty()) opt("--gate-input", gateInput);
  if (gateInit >= 0) opt("--gate-init", formatNumber(gateInit));
  if (!gateForm.empty()) opt("--gate-form", gateForm);
  if (!auxGradient.empty()) opt("--aux-gradient", auxGradient);
  if (epochs > 0) opt("--epochs", std::to_string(epochs));
  if (batchSize > 0) opt("--batch-size", std::to_string(batchSize));
  if (microBatch >= 0) opt("--micro-batch", std::to_string(microBatch));
  if (speakerLrScale > 0) opt("--speaker-lr-scale", formatNumber(speakerLrScale));
  if (lr > 0) opt("--lr", formatNumber(lr));
  if (lossWeights.size() == 3)
    opt("--loss-weights", formatNumber(lossWeights[0]) + "," + formatNumber(lossWeights[1]) + "," + formatNumber(lossWeights[2]));
  if (dropout >= 0) opt("--dropout", formatNumber(dropout));
  if (recurrentDropout >= 0) opt("--recurrent-dropout", formatNumber(recurrentDropout));
  if (noMaskPadding) a.push_back("--no-mask-padding");
  if (!selectOn.empty() && selectOn != "val") opt("--select-on", selectOn);
  if (!valDraw.empty() && valDraw != "seed") opt("--val-draw", valDraw);
  opt("--seed", std::to_string(seed));
  opt("--threads", std::to_string(threads));
  if (device != d.device) opt("--device", device);
  return a;
}

json TrainArgs::toJson() const {
  json j{{"corpus", corpus}, {"csv", csvDir}, {"clips", clipsDir}, {"preset", preset}, {"variant", variant},
              {"no_film", noFilm}, {"no_gate", noGate}, {"no_aux", noAux}, {"lambda", lambda}, {"gate_input", gateInput},
              {"gate_init", gateInit}, {"gate_form", gateForm}, {"epochs", epochs}, {"batch_size", batchSize}, {"micro_batch", microBatch},
              {"speaker_lr_scale", speakerLrScale}, {"lr", lr}, {"loss_weights", lossWeights}, {"dropout", dropout},
              {"recurrent_dropout", recurrentDropout}, {"no_mask_padding", noMaskPadding}, {"select_on", selectOn}, {"val_draw", valDraw}, {"seed", seed},
              {"threads", threads}, {"device", device}};
  // Only when set, so experiment folders made before the option keep their digest.
  if (!auxGradient.empty()) j["aux_gradient"] = auxGradient;
  return j;
}

TrainArgs TrainArgs::fromRun(const std::string& runDir) {
  const model::RunConfig c = model::readRunConfig(runDir);
  const model::ModelConfig& m = c.model;
  const model::TrainConfig& t = c.train;
  TrainArgs a;
  a.corpus = c.corpusSource;
  a.preset = m.preset;
  if (m.isMultiEMO()) {
    a.variant = "multiemo";
  } else {
    a.noFilm = !m.film;
    a.noGate = !m.gate;
    a.noAux = !m.aux;
  }
  a.lambda = m.lambda;
  a.gateInput = m.gateInput;
  a.gateInit = m.gateInit;
  a.gateForm = m.gateForm;
  a.auxGradient = m.auxGradient;
  a.lossWeights = {m.weightCE, m.weightSWFC, m.weightHGR};
  a.dropout = m.dropout;
  a.recurrentDropout = m.recurrentDropout;
  a.noMaskPadding = !m.maskPadding;
  a.selectOn = t.selectOn;
  a.valDraw = t.valDraw;
  a.epochs = t.epochs;
  a.batchSize = t.batchSize;
  a.microBatch = t.microBatch;
  a.speakerLrScale = t.speakerLrScale;
  a.lr = t.lr;
  a.seed = t.seed;
  a.threads = t.threads;
  a.device = t.device;
  return a;
}

TrainArgs TrainArgs::fromJson(const json& j) {
  TrainArgs a;
  auto get = [&j](const char* key, auto& field) {
    if (j.contains(key)) j.at(key).get_to(field);
  };
  get("corpus", a.corpus);
  get("csv", a.csvDir);
  get("clips", a.clipsDir);
  get("preset", a.preset);
  get("variant", a.variant);
  get("no_film", a.noFilm);
  get("no_gate", a.noGate);
  get("no_aux", a.noAux);
  get("lambda", a.lambda);
  get("gate_input", a.gateInput);
  get("gate_init", a.gateInit);
  get("gate_form", a.gateForm);
  get("aux_gradient", a.auxGradient);
  get("epochs", a.epochs);
  get("batch_size", a.batchSize);
  get("micro_batch", a.microBatch);
  get("speaker_lr_scale", a.speakerLrScale);
  get("lr", a.lr);
  get("loss_weights", a.lossWeights);
  get("dropout", a.dropout);
  get("recurrent_dropout", a.recurrentDropout);
  get("no_mask_padding", a.noMaskPadding);
  get("select_on", a.selectOn);
  get("val_draw", a.valDraw);
  get("seed", a.seed);
  get("threads", a.threads);
  get("device", a.device);
  return a;
}

std::string TrainArgs::variantTitle() const {
  if (isMultiEmo()) return "MultiEMO";
  std::string off;
  for (auto [flag, name] : {std::pair{noFilm, "FiLM"}, std::pair{noGate, "Gate"}, std::pair{noAux, "Aux"}})
    if (flag) off += off.empty() ? name : std::string(", ") + name;
  return off.empty() ? "ML-SAN" : "ML-SAN w/o " + off;
}

}  // namespace mlsan::experiments
