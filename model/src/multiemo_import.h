// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal (torch) - MultiEMO's parameter names onto this engine's network (import.h), exposed
// for the golden parity tests, which load the authors' weights, gradients and Adam results.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "mlsan/data/torch_file.h"
#include "mlsan/model/import.h"
#include "net.h"

namespace mlsan::model {

/// MultiEMO's name(s) for one of this engine's parameters ("fuse_text.0.attn_a.q.weight" ->
/// the `heads` per-head query matrices, whose rows stack to ours); empty when it has none.
std::vector<std::string> multiEmoSources(const std::string& ours, int heads);
/// Every parameter of `net` from MultiEMO's tensors (per-head matrices concatenated), shapes
/// checked: the error names the file, MultiEMO's tensor and ours. `unused` receives MultiEMO's
/// tensors the network does not use (MELD form: the text and backward DialogueRNNs).
std::map<std::string, torch::Tensor> mapMultiEmoTensors(const data::TorchStateDict& sd, Net& net, const std::string& path,
                                                        std::vector<std::string>* unused = nullptr);
/// Copies a MultiEMO state_dict into `net`.
void loadMultiEmo(Net& net, const data::TorchStateDict& sd, const std::string& path, std::vector<std::string>* unused = nullptr);
/// The configuration the state_dict describes (see import.h).
ModelConfig multiEmoConfig(const std::string& path, const data::TorchStateDict& sd, const data::Corpus& corpus,
                           const ImportOptions& options);

}  // namespace mlsan::model
