// SPDX-License-Identifier: GPL-3.0-or-later
#include "mlsan/model/config.h"

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace mlsan::model {
using nlohmann::json;

std::string ModelConfig::variantName() const {
  if (film && gate && aux) return "mlsan";
  if (!film && !gate && !aux) return "multiemo";
  if (!film && gate && aux) return "no_film";
  if (film && !gate && aux) return "no_gate";
  if (film && gate && !aux) return "no_aux";
  std::string s;
  if (film) s += "film";
  if (gate) s += std::string(s.empty() ? "" : "+") + "gate";
  if (aux) s += std::string(s.empty() ? "" : "+") + "aux";
  return s;
}

static json modelJson(const ModelConfig& c) {
  return json{{"preset", c.preset}, {"dim_text", c.dimText}, {"dim_audio", c.dimAudio}, {"dim_visual", c.dimVisual},
              {"num_classes", c.numClasses}, {"num_speakers", c.numSpeakers}, {"max_parties", c.maxParties},
              {"d", c.d}, {"heads", c.heads}, {"fusion_layers", c.fusionLayers}, {"mlp_hidden", c.mlpHidden},
              {"text_context", c.textContext}, {"bidirectional", c.bidirectional}, {"dropout", c.dropout},
              {"recurrent_dropout", c.recurrentDropout}, {"mask_padding", c.maskPadding},
              {"weight_ce", c.weightCE}, {"weight_swfc", c.weightSWFC}, {"weight_hgr", c.weightHGR},
              {"tau", c.tau}, {"gamma", c.gamma}, {"alpha", c.alpha}, {"class_counts", c.classCounts},
              {"film", c.film}, {"gate", c.gate}, {"aux", c.aux}, {"gate_input", c.gateInput},
              {"lambda", c.lambda}, {"speaker_dim", c.speakerDim}, {"gate_init", c.gateInit}, {"gate_form", c.gateForm},
              {"aux_gradient", c.auxGradient}, {"variant", c.variantName()}};
}

std::string ModelConfig::toJson() const { return modelJson(*this).dump(); }

ModelConfig ModelConfig::fromJson(const std::string& s) {
  const json j = json::parse(s);
  ModelConfig c;
  c.preset = j.at("preset"); c.dimText = j.at("dim_text"); c.dimAudio = j.at("dim_audio"); c.dimVisual = j.at("dim_visual");
  c.numClasses = j.at("num_classes"); c.numSpeakers = j.at("num_speakers"); c.maxParties = j.at("max_parties");
  c.d = j.at("d"); c.heads = j.at("heads"); c.fusionLayers = j.at("fusion_layers"); c.mlpHidden = j.at("mlp_hidden");
  c.textContext = j.at("text_context"); c.bidirectional = j.at("bidirectional"); c.dropout = j.at("dropout");
  c.recurrentDropout = j.value("recurrent_dropout", 0.0);
  c.maskPadding = j.value("mask_padding", true);
  c.weightCE = j.at("weight_ce"); c.weightSWFC = j.at("weight_swfc"); c.weightHGR = j.at("weight_hgr");
  c.tau = j.at("tau"); c.gamma = j.at("gamma"); c.alpha = j.at("alpha");
  c.classCounts = j.at("class_counts").get<std::vector<double>>();
  c.film = j.at("film"); c.gate = j.at("gate"); c.aux = j.at("aux"); c.gateInput = j.at("gate_input");
  c.lambda = j.at("lambda"); c.speakerDim = j.at("speaker_dim");
  c.gateInit = j.value("gate_init", 0.0);
  c.gateForm = j.value("gate_form", std::string("sigmoid"));  // absent: a checkpoint from before the choice
  if (c.gateForm != "sigmoid" && c.gateForm != "identity") throw std::invalid_argument("gate_form '" + c.gateForm + "' is not sigmoid or identity");
  c.auxGradient = j.value("aux_gradient", std::string("full"));
  if (c.auxGradient != "full" && c.auxGradient != "balanced" && c.auxGradient != "speaker")
    throw std::invalid_argument("aux_gradient '" + c.auxGradient + "' is not full, balanced or speaker");
  return c;
}

std::string ModelConfig::differences(const ModelConfig& other) const {
  const json a = modelJson(*this), b = modelJson(other);
  std::ostringstream out;
  for (auto it = a.begin(); it != a.end(); ++it) {
    const auto jt = b.find(it.key());
    if (jt == b.end() || *jt != it.value()) {
      if (out.tellp() > 0) out << "; ";
      out << it.key() << ": " << it.value().dump() << " vs " << (jt == b.end() ? std::string("missing") : jt->dump());
    }
  }
  return out.str();
}

std::string TrainConfig::toJson() const {
  return json{{"lr", lr}, {"weight_decay", weightDecay}, {"epochs", epochs}, {"batch_size", batchSize}, {"micro_batch", microBatch}, {"val_fraction", valFraction}, {"val_draw", valDraw}, {"speaker_lr_scale", speakerLrScale},
              {"plateau_factor", plateauFactor}, {"plateau_patience", plateauPatience},
              {"plateau_threshold", plateauThreshold}, {"select_on", selectOn}, {"seed", seed},
              {"threads", threads}, {"device", device}, {"corpus", corpus}}
      .dump();
}

TrainConfig TrainConfig::fromJson(const std::string& s) {
  const json j = json::parse(s);
  TrainConfig t;
  t.lr = j.at("lr"); t.weightDecay = j.at("weight_decay"); t.epochs = j.at("epochs"); t.batchSize = j.at("batch_size");
  t.microBatch = j.value("micro_batch", 0);
  t.valFraction = j.value("val_fraction", 0.05);
  t.valDraw = j.value("val_draw", "seed");
  t.speakerLrScale = j.value("speaker_lr_scale", 1.0);
  t.plateauFactor = j.at("plateau_factor"); t.plateauPatience = j.at("plateau_patience"); t.seed = j.at("seed");
  t.plateauThreshold = j.value("plateau_threshold", 1e-4);  // runs written before the field: PyTorch's default
  t.selectOn = j.value("select_on", "val");
  t.threads = j.at("threads"); t.device = j.at("device");
  t.corpus = j.value("corpus", "");
  return t;
}

Preset preset(const std::string& name) {
  Preset p;
  p.model.preset = name;
  if (name == "meld") {
    // MultiEMO's MELD settings.
    p.model.numClasses = 7;
    p.model.fusionLayers = 2; p.model.mlpHidden = 512;
    p.model.textContext = false; p.model.bidirectional = false;
    p.model.weightCE = 0.4; p.model.weightSWFC = 0.3; p.model.weightHGR = 0.3;
    p.model.tau = 1.4; p.model.gamma = 2.0; p.model.alpha = 1.2;
    p.model.lambda = 0.5;
    p.train.lr = 1e-4; p.train.batchSize = 100; p.train.epochs = 15;
  } else if (name == "iemocap") {
    p.model.numClasses = 6;
    p.model.numSpeakers = 10;
    p.model.maxParties = 2;
    p.model.fusionLayers = 6; p.model.mlpHidden = 256;
    p.model.textContext = true; p.model.bidirectional = true;
    p.model.weightCE = 0.2; p.model.weightSWFC = 0.4; p.model.weightHGR = 0.4;
    p.model.tau = 0.8; p.model.gamma = 2.4; p.model.alpha = 1.1;
    p.model.lambda = 0.2;
    p.train.lr = 1e-4; p.train.batchSize = 64; p.train.epochs = 100;
    p.train.microBatch = 16;  // same gradient as 64 at once, a fraction of the memory (IEMOCAP's dialogues are long)
  } else if (name == "demo") {
    // MELD's structure and losses, sized for the built-in demo corpus: a few seconds an epoch.
    p.model.numClasses = 7;
    p.model.d = 128; p.model.heads = 4;
    p.model.fusionLayers = 2; p.model.mlpHidden = 256;
    p.model.textContext = false; p.model.bidirectional = false;
    p.model.weightCE = 0.4; p.model.weightSWFC = 0.3; p.model.weightHGR = 0.3;
    p.model.tau = 1.4; p.model.gamma = 2.0; p.model.alpha = 1.2;
    p.model.lambda = 0.5; p.model.speakerDim = 32;
    p.train.lr = 5e-4; p.train.batchSize = 16; p.train.epochs = 20;
    // Its own schedule and a little dropout, for a corpus this small: a deviation from MultiEMO's
    // recipe by design (model/README.md).
    p.model.dropout = 0.1;
    p.train.plateauPatience = 3; p.train.plateauFactor = 0.5; p.train.plateauThreshold = 1e-4;
  } else {
    throw std::invalid_argument("unknown preset '" + name + "' (expected meld, iemocap or demo)");
  }
  return p;
}

std::string presetForDataset(const std::string& dataset) {
  if (dataset == "meld" || dataset == "iemocap" || dataset == "demo") return dataset;
  return "meld";
}

}  // namespace mlsan::model
