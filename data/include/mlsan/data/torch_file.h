// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// A safe reader for what PyTorch's torch.save writes for a state_dict (tensors by name): the zip
// format (PyTorch >= 1.6, the default) and the legacy format (a series of pickles followed by the
// raw storages). Built on the safe pickle reader (pickle.h): only the globals a state_dict needs
// are known (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and _rebuild_parameter, the
// typed storages torch.FloatStorage etc.), and they are interpreted as data; nothing is executed.
// A file that holds anything else (a whole pickled model, a custom class) is refused with a
// message naming the file and the global; a damaged or truncated file with one naming the file
// and the problem. Checkpoint dicts that nest a state_dict ({"model": {...}, "epoch": 3}) are
// flattened with dotted names; values that are not tensors are skipped. No torch here: any thread.
#include <string>
#include <utility>
#include <vector>

#include "mlsan/data/pickle.h"

namespace mlsan::data {

struct TorchStateDict {
  std::string format;  ///< "zip" or "legacy"
  /// The tensors in file order, as numpy-like arrays (element type, shape, C-ordered data).
  std::vector<std::pair<std::string, PyArray>> tensors;
  /// The tensor called `name`, or nullptr.
  const PyArray* find(const std::string& name) const;
};

/// Reads a torch.save file holding a state_dict. Throws PickleError (a bad pickle inside: file
/// name, entry and offset) or std::runtime_error naming the file and the problem.
TorchStateDict readTorchStateDict(const std::string& path);

}  // namespace mlsan::data
