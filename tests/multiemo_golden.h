// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The MultiEMO goldens (tests/golden/multiemo/, written by make_multiemo_golden.py from the
// authors' code) as our corpora, configurations and networks, for test_multiemo_parity.cpp and
// test_multiemo_import.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "internal.h"
#include "multiemo_golden_corpus.h"
#include "mlsan/data/atomic_file.h"
#include "mlsan/data/torch_file.h"
#include "multiemo_import.h"
#include "net.h"

namespace multiemo_golden {
using namespace mlsan;
using namespace mlsan::model;
using json = nlohmann::json;

inline torch::Tensor tensorOf(const json& values, std::vector<int64_t> shape) {
  std::vector<float> v = values.get<std::vector<float>>();
  int64_t known = 1;
  for (auto s : shape) known *= s > 0 ? s : 1;
  for (auto& s : shape) if (s < 0) s = static_cast<int64_t>(v.size()) / known;
  return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
}

/// ||ours - theirs||_inf / ||theirs||_inf
inline double relError(const torch::Tensor& ours, const torch::Tensor& theirs) {
  const double scale = std::max(theirs.abs().max().item<double>(), 1e-30);
  return (ours - theirs).abs().max().item<double>() / scale;
}

#define EXPECT_REL(ours, theirs, tol) EXPECT_LE(relError((ours), (theirs)), (tol)) << #ours

inline const std::vector<std::string> kForms{"meld", "iemocap"};

inline ModelConfig configOf(const std::string& form, bool masked) {
  const json& c = goldenJson()["forms"][form]["config"];
  ModelConfig m = preset(form).model;
  m.film = m.gate = m.aux = false;
  m.d = c["d"]; m.heads = c["heads"]; m.fusionLayers = c["fusion_layers"];
  m.dimText = c["dim_text"]; m.dimAudio = c["dim_audio"]; m.dimVisual = c["dim_visual"];
  m.numClasses = c["num_classes"]; m.maxParties = c["parties"]; m.numSpeakers = c["parties"];
  m.mlpHidden = c["mlp_hidden"];
  m.tau = c["tau"]; m.gamma = c["gamma"]; m.alpha = c["alpha"];
  m.weightCE = c["weight_ce"]; m.weightSWFC = c["weight_swfc"]; m.weightHGR = c["weight_hgr"];
  m.dropout = m.recurrentDropout = 0;
  m.maskPadding = masked;
  return m;
}

/// Our network with the authors' weights.
inline Net netFrom(const std::string& file, const ModelConfig& cfg) {
  torch::manual_seed(0);
  Net net(cfg);
  loadMultiEmo(net, data::readTorchStateDict(golden(file)), file);
  net->eval();
  return net;
}

/// A state_dict-like golden file (gradients, weights after Adam) in our parameter names.
inline std::map<std::string, torch::Tensor> mapped(const std::string& file, Net& net) {
  return mapMultiEmoTensors(data::readTorchStateDict(golden(file)), net, file);
}

}  // namespace multiemo_golden
