// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Internal to mlsan_data: the allowed globals of the pickle reader and what "calling" them means
// (REDUCE) or "setting their state" means (BUILD), interpreted as data, never executed.
#include <optional>
#include <string>

#include "pickle_internal.h"

namespace mlsan::data {

/// Where the opcode being interpreted sits, for error messages, and how many more bytes the
/// interpretation may still copy (shared references could otherwise copy one big str or list
/// over and over: the total is bounded by a multiple of the input size).
struct NumpyContext {
  const std::string& file;
  std::size_t offset;
  std::size_t& copyBudget;
  [[noreturn]] void fail(const std::string& why) const { throw PickleError(file, offset, why); }
  void charge(std::size_t bytes) const {
    if (bytes > copyBudget) fail("the pickle expands far beyond its size (data copied again and again through shared references)");
    copyBudget -= bytes;
  }
};

/// Extra globals and persistent ids for a format built on pickle (torch.save's files, see
/// torch_file.cpp). Their values are still plain data: nothing is ever called.
struct PickleHooks {
  virtual ~PickleHooks() = default;
  /// True when module.name is one of this format's globals.
  virtual bool knows(const std::string& module, const std::string& name) const = 0;
  /// Added to the message that refuses any other global.
  virtual std::string refusalHint() const { return {}; }
  /// REDUCE of one of this format's globals (`global` is "module.name").
  virtual PyValue reduce(const NumpyContext& c, const std::string& global, const PyValue& args) = 0;
  /// BUILD: true when handled here; false lets the usual rules apply.
  virtual bool build(const NumpyContext& c, PyValue& target, const PyValue& state) = 0;
  /// PERSID / BINPERSID: the object a persistent id stands for.
  virtual PyValue persistentLoad(const NumpyContext& c, const PyValue& pid) = 0;
};

/// The id of an allowed global, or nullopt.
std::optional<PyGlobalId> allowedGlobal(const std::string& module, const std::string& name);
/// REDUCE: `fn(*args)` for an allowed `fn`; throws PickleError for anything else.
PyValue reduceAllowed(const NumpyContext& ctx, const PyValue& fn, const PyValue& args);
/// BUILD: sets the state of a numpy array shell or dtype; throws PickleError for anything else.
void buildAllowed(const NumpyContext& ctx, PyValue& target, const PyValue& state);

}  // namespace mlsan::data
